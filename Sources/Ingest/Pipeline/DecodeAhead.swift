import Dispatch
import Foundation

/// Decodes a chunk of journal records on another thread while the writer stores the previous chunk.
///
/// Decoding (JSON, the formats' envelopes) is about a third of the writer's work and needs no database, so under
/// a backlog it runs on the second core: the writer only waits when the decoder is behind. Small chunks (the
/// steady, low-latency case) are decoded in place, where a thread hop would cost more than it saves.
final class DecodeAhead: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: [MessageProcessor.Decoding]?

    /// Chunks smaller than this are decoded by the caller, in `wait`.
    static let minimumChunk = 64

    private let records: [JournalRecord]
    private let processor: MessageProcessor

    /// Starts decoding `records` (in the background when there are enough of them).
    init(_ records: [JournalRecord], processor: MessageProcessor) {
        self.records = records
        self.processor = processor
        guard records.count >= Self.minimumChunk else { return }
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let decoded = records.map { processor.decode($0) }
            condition.withLock {
                result = decoded
                condition.broadcast()
            }
        }
    }

    /// The decodings, in the order of the records.
    func wait() -> [MessageProcessor.Decoding] {
        guard records.count >= Self.minimumChunk else { return records.map { processor.decode($0) } }
        return condition.withLock {
            while result == nil { condition.wait() }
            return result!
        }
    }
}
