import Foundation
import Logging
import SQLiteDB
import Storage

/// Delivers the outbox (`alert_outbox`) to the channels, on its own thread and connection, in order, retrying
/// each failed delivery with a growing delay (1 s, 2 s, 4 s … at most `maximumDelay`) until `maximumAttempts`.
///
/// The outbox is written with the alert's change, in its transaction: whatever crashes, a committed change is
/// delivered (at least once: a crash between a delivery and its record sends it again). Results are handed to the
/// ingest writer (`DeliveryLog`), which records them in its next transaction: the notifier only reads. Without a
/// writer to hand them to (no threshold rules: only agents' changes and silence), they are recorded here together
/// at most every `recordInterval`, when the database is free at once (no busy wait; measured: with a record per
/// notification and SQLite's busy waits, p99 publish→stored went from 25 to 93–171 ms at 50 alerts a second).
public final class AlertNotifier: @unchecked Sendable {
    private let databasePath: String
    private let channels: [String: any NotificationChannel]
    private let commune: String
    private let logger: Logger
    private let maximumAttempts: Int
    private let maximumDelay: Int64
    private let firstDelay: Int64
    // Guards `stopping` and `pending`; signalled by `wake()` and `stop()`.
    private let condition = NSCondition()
    private var stopping = false
    private var pending = false
    private var thread: Thread?
    private var finished = false
    // Only touched on the notifier's thread: attempts made and not yet recorded, by outbox id.
    private var unrecorded: [Int64: DeliveryAttempt] = [:]
    /// The highest outbox id this process has attempted: newer rows are found by id, not behind the unrecorded ones.
    private var highestAttempted: Int64 = 0
    private var lastRecord = Date()
    private let recordInterval: TimeInterval
    /// When set, the ingest writer records the attempts (`DeliveryLog`); otherwise this thread does, every
    /// `recordInterval`, when the database is free.
    private let deliveries: DeliveryLog?

    /// - Parameters:
    ///   - firstDelay: the delay before the first retry, in ms (doubled at each failure up to `maximumDelay`).
    public init(databasePath: String, channels: [any NotificationChannel], commune: String, logger: Logger,
                maximumAttempts: Int = 30, firstDelay: Int64 = 1_000, maximumDelay: Int64 = 300_000, recordInterval: TimeInterval = 2,
                deliveries: DeliveryLog? = nil) {
        self.recordInterval = recordInterval
        self.deliveries = deliveries
        self.databasePath = databasePath
        self.channels = Dictionary(channels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.commune = commune
        self.logger = logger
        self.maximumAttempts = maximumAttempts
        self.firstDelay = firstDelay
        self.maximumDelay = maximumDelay
    }

    public func start() {
        let thread = Thread { [self] in
            Thread.current.name = "pmc-alert-notifier"
            run()
        }
        self.thread = thread
        thread.start()
    }

    /// Something was queued: look now rather than at the next poll.
    public func wake() {
        condition.withLock {
            pending = true
            condition.signal()
        }
    }

    /// Stops after the delivery in progress; what is left stays in the outbox for the next start.
    public func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
        condition.withLock { while !finished && thread != nil { condition.wait() } }
    }

    private func run() {
        defer { condition.withLock { finished = true; condition.broadcast() } }
        let db: Connection
        do {
            // No busy timeout: a record that finds the writer in a transaction is retried at the next round.
            db = try Connection(path: databasePath, busyTimeoutMs: 0)
            // SQLite's default would make each record commit copy the whole log into the database on this thread
            // (the log is megabytes to gigabytes under load): the ingest writer's checkpointer does that.
            try db.execute("PRAGMA wal_autocheckpoint = 0")
        } catch {
            logger.critical("alert notifier cannot open the database; alerts are stored but not sent", metadata: ["error": "\(error)"])
            return
        }
        while !condition.withLock({ stopping }) {
            var delivered = 0
            do {
                delivered = try deliverDue(db)
                if deliveries != nil || Date().timeIntervalSince(lastRecord) >= recordInterval { try recordAttempts(db) }
            } catch {
                logger.error("alert notifier: cannot read or update the outbox; retrying", metadata: ["error": "\(error)"])
            }
            if delivered > 0 { continue }
            condition.withLock {
                if !pending && !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: min(0.5, recordInterval))) }
                pending = false
            }
        }
        do {
            if let deliveries {
                // The writer has stopped by now: what it did not record, this thread does (or it is sent again).
                let rest = deliveries.take()
                if !rest.isEmpty { try db.transaction { for attempt in rest { try attempt.record(db: db, logger: logger) } } }
            } else {
                try recordAttempts(db)
            }
        } catch {
            logger.error("alert notifier: could not record the last deliveries; they will be sent again", metadata: ["error": "\(error)"])
        }
    }

    /// Records the attempts made since the last record, in one transaction, unless the database is busy (then later);
    /// with a `DeliveryLog`, forgets those the writer has recorded.
    private func recordAttempts(_ db: Connection) throws {
        if let deliveries {
            // Forgotten once the database holds this very attempt (not an older one of the same row).
            for (id, attempts) in deliveries.takeRecorded() where unrecorded[id]?.attempts == attempts {
                unrecorded[id] = nil
            }
            return
        }
        guard !unrecorded.isEmpty else {
            // Nothing waited: the interval starts now, so a lone delivery after a quiet spell waits for company too.
            lastRecord = Date()
            return
        }
        let attempts = unrecorded.values.sorted { $0.id < $1.id }
        do {
            try db.transaction { for attempt in attempts { try attempt.record(db: db, logger: logger) } }
        } catch let error as SQLiteError where error.isBusy {
            return
        }
        lastRecord = Date()
        unrecorded.removeAll()
    }

    /// Sends the due deliveries, oldest first (an attempt not yet recorded is due again only once its retry delay
    /// has passed); returns how many were attempted.
    func deliverDue(_ db: Connection) throws -> Int {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        // New rows first (never attempted here), then retries recorded in the outbox, then those not recorded yet.
        let columns = "id, alert_id, event, channel, attempts"
        let waiting = "delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?2"
        let row = { (row: Row) in (id: row.int(0), alert: row.int(1), event: row.string(2), channel: row.string(3), attempts: row.int(4)) }
        let fresh = try db.cached("SELECT \(columns) FROM alert_outbox WHERE id > ?1 AND \(waiting) ORDER BY id LIMIT 50")
            .map([highestAttempted, now], row)
        let retries = try db.cached("SELECT \(columns) FROM alert_outbox WHERE id <= ?1 AND \(waiting) ORDER BY id LIMIT 200")
            .map([highestAttempted, now], row)
        let due = (fresh + retries)
            .compactMap { row -> (id: Int64, alert: Int64, event: String, channel: String, attempts: Int64)? in
                guard let made = unrecorded[row.id] else { return row }
                // Delivered, abandoned, or waiting for its retry: not yet.
                guard !made.isFinal, now >= made.nextAttemptAt else { return nil }
                return (row.id, row.alert, row.event, row.channel, made.attempts)
            }
            .prefix(50)
        let store = AlertStore(connection: db)
        var attempted = 0
        for row in due {
            if condition.withLock({ stopping }) { break }
            let failure: String?
            if let channel = channels[row.channel], let alert = try store.alert(id: row.alert), let event = AlertStore.Event(rawValue: row.event) {
                do {
                    try channel.deliver(AlertNotification(event: event, alert: alert, commune: commune))
                    failure = nil
                } catch {
                    failure = "\(error)"
                }
            } else {
                failure = "no channel named '\(row.channel)' in the configuration (it was removed since the alert changed)"
            }
            let known = failure == nil || channels[row.channel] != nil
            let time = Int64(Date().timeIntervalSince1970 * 1000)
            let attempt = DeliveryAttempt(id: row.id, alert: row.alert, event: row.event, channel: known ? row.channel : "",
                                          attempts: row.attempts + 1, time: time, failure: failure,
                                          abandoned: failure != nil && (!known || row.attempts + 1 >= Int64(maximumAttempts)),
                                          nextAttemptAt: time + delay(after: row.attempts + 1))
            unrecorded[row.id] = attempt
            deliveries?.add(attempt)
            highestAttempted = max(highestAttempted, row.id)
            attempted += 1
            if failure != nil, !attempt.isFinal {
                logger.warning("alert notification failed; will retry", metadata: ["alert": "\(row.alert)", "channel": "\(row.channel)",
                               "attempt": "\(attempt.attempts)", "retry_in_ms": "\(delay(after: attempt.attempts))", "error": "\(failure ?? "")"])
            }
        }
        return attempted
    }

    /// The wait before the next attempt after `attempts` failed ones: 1 s, 2 s, 4 s … at most `maximumDelay`.
    private func delay(after attempts: Int64) -> Int64 {
        min(maximumDelay, firstDelay << min(max(attempts - 1, 0), 20))
    }
}
