import Foundation
import Logging
import SQLiteDB
import Storage

/// Decodes the kept messages of devices that the inventory now declares, so their history is stored
/// under the right profile and asset, then removes them from the pending store.
public struct PendingReplayer {
    let processor: MessageProcessor
    let logger: Logger

    public init(processor: MessageProcessor, logger: Logger) {
        self.processor = processor
        self.logger = logger
    }

    /// Replays the pending messages of `deviceKeys`; returns how many messages were replayed.
    @discardableResult
    public func replay(deviceKeys: [String], connection: Connection, timeZone: TimeZone) throws -> Int {
        let queries = GatewayQueries(connection: connection)
        let writer = ReadingWriter(connection: connection, timeZone: timeZone)
        var total = 0
        for key in deviceKeys {
            let messages = try queries.pendingMessages(deviceKey: key)
            guard !messages.isEmpty else { continue }
            try writer.begin()
            do {
                for message in messages {
                    let record = JournalRecord(receivedAt: message.receivedAt, subscription: message.subscription,
                                               topic: message.topic, payload: message.payload)
                    try processor.process(record, writer: writer, fallbackFormat: message.format, replay: true)
                }
                try connection.run("DELETE FROM pending_messages WHERE device_key = ? AND id <= ?", key, messages[messages.count - 1].id)
                try writer.commit(checkpoint: nil, refreshRollups: true)
            } catch {
                writer.rollback()
                throw error
            }
            total += messages.count
            logger.notice("device declared: kept messages decoded and stored", metadata: ["device": "\(key)", "messages": "\(messages.count)"])
        }
        return total
    }
}
