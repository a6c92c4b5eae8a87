import Storage
import Foundation

/// Follows the journal from a checkpoint: first the segments left by earlier runs, then the live one.
public final class JournalReader {
    private let journal: Journal
    private var segment: Int64
    private var reader: SegmentReader?

    /// One record and the position just after it.
    public struct Entry {
        public let record: JournalRecord
        public let end: JournalPosition
    }

    /// Starts at `checkpoint`, or at the oldest segment when the database has none.
    public init(journal: Journal, from checkpoint: JournalPosition?) throws {
        self.journal = journal
        let segments = try Journal.segments(in: journal.directory)
        if let checkpoint, let first = segments.first(where: { $0 >= checkpoint.segment }) {
            segment = first
            reader = try Self.open(first, of: journal, offset: first == checkpoint.segment ? checkpoint.offset : 0)
        } else {
            segment = segments.first ?? journal.end.segment
            reader = try Self.open(segment, of: journal)
        }
    }

    /// The position after the last record returned.
    public var position: JournalPosition { JournalPosition(segment: segment, offset: reader?.position ?? 0) }

    /// Up to `maxRecords` records available now. `onCorrupt` is told about a damaged region, which is skipped.
    public func read(maxRecords: Int, maxBytes: Int = 32 << 20, onCorrupt: (String) -> Void) throws -> [Entry] {
        var entries: [Entry] = []
        var bytes = 0
        while entries.count < maxRecords, bytes < maxBytes {
            let end = journal.end
            guard let reader else { break }
            let limit: Int64 = segment == end.segment ? end.offset : .max
            switch try reader.next(limit: limit) {
            case .record(let record, let offset):
                bytes += record.payload.count + record.topic.utf8.count
                entries.append(Entry(record: record, end: JournalPosition(segment: segment, offset: offset)))
            case .corrupt(let reason, let offset):
                onCorrupt("\(reader.path) at byte \(offset): \(reason); the rest of this segment is skipped")
                guard try advanceSegment(currentEnd: end) else { return entries }
            case .end:
                guard segment < end.segment, try advanceSegment(currentEnd: end) else { return entries }
            }
        }
        return entries
    }

    private func advanceSegment(currentEnd: JournalPosition) throws -> Bool {
        guard segment < currentEnd.segment else { return false }
        let segments = try Journal.segments(in: journal.directory)
        guard let next = segments.first(where: { $0 > segment }) else { return false }
        segment = next
        reader = try Self.open(next, of: journal)
        return true
    }

    /// Checksums are verified only in segments an earlier run wrote (see `Journal.firstSegmentOfThisRun`).
    private static func open(_ segment: Int64, of journal: Journal, offset: Int64 = 0) throws -> SegmentReader {
        try SegmentReader(path: Journal.path(journal.directory, segment), offset: offset,
                          verifyChecksums: segment < journal.firstSegmentOfThisRun)
    }
}
