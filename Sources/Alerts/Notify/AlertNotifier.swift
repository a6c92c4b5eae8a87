import Foundation
import Logging
import SQLiteDB
import Storage

/// Delivers the outbox (`alert_outbox`) to the channels, on its own thread and connection, in order, retrying
/// each failed delivery with a growing delay (1 s, 2 s, 4 s … at most `maximumDelay`) until `maximumAttempts`.
///
/// The outbox is written with the alert's change, in its transaction: whatever crashes, a committed change is
/// delivered (at least once: a crash between a delivery and its record sends it again).
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

    /// - Parameters:
    ///   - firstDelay: the delay before the first retry, in ms (doubled at each failure up to `maximumDelay`).
    public init(databasePath: String, channels: [any NotificationChannel], commune: String, logger: Logger,
                maximumAttempts: Int = 30, firstDelay: Int64 = 1_000, maximumDelay: Int64 = 300_000) {
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
            db = try Schema.open(path: databasePath)
        } catch {
            logger.critical("alert notifier cannot open the database; alerts are stored but not sent", metadata: ["error": "\(error)"])
            return
        }
        while !condition.withLock({ stopping }) {
            var delivered = 0
            do {
                delivered = try deliverDue(db)
            } catch {
                logger.error("alert notifier: cannot read or update the outbox; retrying", metadata: ["error": "\(error)"])
            }
            if delivered > 0 { continue }
            condition.withLock {
                if !pending && !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.5)) }
                pending = false
            }
        }
    }

    /// Sends the due deliveries, oldest first; returns how many were attempted.
    func deliverDue(_ db: Connection) throws -> Int {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let due = try db.cached("""
            SELECT id, alert_id, event, channel, attempts FROM alert_outbox
            WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT 50
            """).map([now]) { (id: $0.int(0), alert: $0.int(1), event: $0.string(2), channel: $0.string(3), attempts: $0.int(4)) }
        let store = AlertStore(connection: db)
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
            let time = Int64(Date().timeIntervalSince1970 * 1000)
            guard let failure else {
                try db.run("UPDATE alert_outbox SET attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?", time, row.id)
                logger.info("alert notification delivered", metadata: ["alert": "\(row.alert)", "event": "\(row.event)", "channel": "\(row.channel)"])
                continue
            }
            let attempts = row.attempts + 1
            if attempts >= maximumAttempts || channels[row.channel] == nil {
                try db.run("UPDATE alert_outbox SET attempts = ?, failed_at = ?, last_error = ? WHERE id = ?", attempts, time, failure, row.id)
                logger.error("alert notification abandoned", metadata: ["alert": "\(row.alert)", "channel": "\(row.channel)",
                                                                        "attempts": "\(attempts)", "error": "\(failure)"])
            } else {
                let delay = min(maximumDelay, firstDelay << min(attempts - 1, 20))
                try db.run("UPDATE alert_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?", attempts, time + delay, failure, row.id)
                logger.warning("alert notification failed; will retry", metadata: ["alert": "\(row.alert)", "channel": "\(row.channel)",
                                                                                   "attempt": "\(attempts)", "retry_in_ms": "\(delay)", "error": "\(failure)"])
            }
        }
        return due.count
    }
}
