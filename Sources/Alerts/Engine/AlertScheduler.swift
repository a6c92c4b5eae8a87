import Foundation
import Logging
import SQLiteDB
import Storage

/// Runs the time-driven rules — silence, escalation, consumption against its usual level, the end of maintenance
/// windows — on its own thread and connection, every `interval`: their
/// alerts depend on time passing, not on a reading arriving (a silent device sends none). Each round is one
/// transaction, with its notifications queued in it.
public final class AlertScheduler: @unchecked Sendable {
    private let databasePath: String
    private let silence: SilenceMonitor?
    private let escalation: EscalationMonitor?
    private let maintenance: MaintenanceMonitor?
    private let usualConsumption: UsualConsumptionMonitor?
    private let channels: [String]
    private let interval: TimeInterval
    private let logger: Logger
    private let didQueueNotifications: (@Sendable () -> Void)?
    private let startedAt = Int64(Date().timeIntervalSince1970 * 1000)
    // Guards `stopping` and `finished`.
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false
    private var started = false

    public init(databasePath: String, silence: SilenceMonitor?, escalation: EscalationMonitor? = nil, maintenance: MaintenanceMonitor? = nil,
                usualConsumption: UsualConsumptionMonitor? = nil, channels: [String], interval: TimeInterval, logger: Logger,
                didQueueNotifications: (@Sendable () -> Void)? = nil) {
        self.databasePath = databasePath
        self.usualConsumption = usualConsumption
        self.maintenance = maintenance
        self.silence = silence
        self.escalation = escalation
        self.channels = channels
        self.interval = interval
        self.logger = logger
        self.didQueueNotifications = didQueueNotifications
    }

    public func start() {
        started = true
        let thread = Thread { [self] in
            Thread.current.name = "pmc-alert-scheduler"
            run()
        }
        thread.start()
    }

    public func stop() {
        guard started else { return }
        condition.withLock {
            stopping = true
            condition.broadcast()
            while !finished { condition.wait() }
        }
    }

    private func run() {
        defer { condition.withLock { finished = true; condition.broadcast() } }
        var db: Connection?
        while true {
            let stop = condition.withLock {
                if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
                return stopping
            }
            if stop { return }
            do {
                let connection = try db ?? Schema.open(path: databasePath)
                if db == nil {
                    // The ingest writer's checkpointer copies the log: a commit here must not copy it too.
                    try connection.execute("PRAGMA wal_autocheckpoint = 0")
                }
                db = connection
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let changes = try connection.transaction {
                    try (silence?.evaluate(db: connection, channels: channels, now: now, since: startedAt) ?? [])
                        + (escalation?.evaluate(db: connection, channels: channels, now: now) ?? [])
                        + (usualConsumption?.evaluate(db: connection, channels: channels, now: now) ?? [])
                }
                let notified = try connection.transaction { try maintenance?.evaluate(db: connection, channels: channels, now: now) ?? [] }
                for alert in notified {
                    logger.notice("maintenance terminée : alerte toujours ouverte, notifiée maintenant : \(alert.message)",
                                  metadata: ["alert": "\(alert.id)", "asset": "\(alert.assetID)", "rule": "\(alert.ruleID)"])
                }
                for alert in changes { logger.announce(alert, underMaintenance: silence?.maintenance?.period(of: alert.assetID, at: now)) }
                if !changes.isEmpty || !notified.isEmpty, !channels.isEmpty { didQueueNotifications?() }
            } catch {
                logger.error("silence and escalation check failed; retrying at the next round", metadata: ["error": "\(error)"])
            }
        }
    }
}
