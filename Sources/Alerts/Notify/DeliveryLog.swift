import Foundation
import Logging
import SQLiteDB

/// What became of one delivery attempt of an `alert_outbox` row, self-described so that whoever records it needs
/// no notifier settings.
public struct DeliveryAttempt: Sendable, Equatable {
    let id: Int64
    let alert: Int64
    let event: String
    let channel: String
    let attempts: Int64
    let time: Int64
    let failure: String?
    /// Given up: too many attempts, or the channel is gone (`channel` is then empty).
    let abandoned: Bool
    /// For a failure to retry: when.
    let nextAttemptAt: Int64

    var isFinal: Bool { failure == nil || abandoned }

    /// Writes the outcome into `alert_outbox` (inside the caller's transaction).
    func record(db: Connection, logger: Logger) throws {
        let metadata: Logger.Metadata = ["alert": "\(alert)", "event": "\(event)", "channel": "\(channel)", "attempt": "\(attempts)"]
        guard let failure else {
            try db.cached("UPDATE alert_outbox SET attempts = ?, delivered_at = ?, last_error = NULL WHERE id = ?").execute([attempts, time, id])
            logger.debug("alert notification delivered", metadata: metadata)
            return
        }
        if abandoned {
            try db.cached("UPDATE alert_outbox SET attempts = ?, failed_at = ?, last_error = ? WHERE id = ?").execute([attempts, time, failure, id])
            logger.error("alert notification abandoned", metadata: metadata.merging(["error": "\(failure)"]) { $1 })
        } else {
            try db.cached("UPDATE alert_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?")
                .execute([attempts, nextAttemptAt, failure, id])
        }
    }
}

/// Delivery results handed from the notifier to the ingest writer, which records them in its own next transaction:
/// the database then has one writer, and the writer never waits behind the notifier's lock (measured: a record
/// transaction of the notifier every 2 s cost the publish→stored p99 tens of milliseconds at 5,000 msg/s).
public final class DeliveryLog: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting: [DeliveryAttempt] = []
    private var recorded: [(id: Int64, attempts: Int64)] = []

    public init() {}

    var isEmpty: Bool { lock.withLock { waiting.isEmpty } }

    func add(_ attempt: DeliveryAttempt) { lock.withLock { waiting.append(attempt) } }

    /// The attempts to record now (the writer's batch); given back if the batch rolls back.
    func take() -> [DeliveryAttempt] {
        lock.withLock {
            defer { waiting.removeAll() }
            return waiting
        }
    }

    func giveBack(_ attempts: [DeliveryAttempt]) { lock.withLock { waiting.insert(contentsOf: attempts, at: 0) } }

    /// The writer committed these: the notifier may forget them.
    func markRecorded(_ attempts: [DeliveryAttempt]) { lock.withLock { recorded += attempts.map { ($0.id, $0.attempts) } } }

    func takeRecorded() -> [(id: Int64, attempts: Int64)] {
        lock.withLock {
            defer { recorded.removeAll() }
            return recorded
        }
    }
}
