import Assets
import SQLiteDB

/// Escalation: an alert still open — nobody acknowledged it — once its rule's `escalate_after` has passed is
/// marked escalated and the change queued for every channel, once. Run by `AlertScheduler` with the other
/// time-driven rules.
public struct EscalationMonitor: Sendable {
    /// Milliseconds before escalation, by rule id (silence alerts under their own rule ids).
    let delays: [String: Int64]
    /// An escalation during a maintenance is recorded, not notified.
    let maintenance: MaintenanceCalendar?

    public init(rules: AlertRuleSet, maintenance: MaintenanceCalendar? = nil) {
        self.maintenance = maintenance
        var delays: [String: Int64] = [:]
        for rule in rules.rules { if let after = rule.escalateAfter { delays[rule.id] = Int64(after) * 1000 } }
        if let after = rules.silence?.escalateAfter {
            delays[SilenceMonitor.assetRuleID] = Int64(after) * 1000
            delays[SilenceMonitor.parentRuleID] = Int64(after) * 1000
        }
        self.delays = delays
    }

    public var isEmpty: Bool { delays.isEmpty }

    /// The shortest delay, in seconds (the scheduler checks at least twice as often).
    public var shortestDelay: Int? { delays.values.min().map { Int($0 / 1000) } }

    /// Escalates the open alerts past their delay at `now`; returns them.
    public func evaluate(db: Connection, channels: [String], now: Int64) throws -> [Alert] {
        let store = AlertStore(connection: db, channels: channels, maintenance: maintenance)
        return try store.unacknowledged().compactMap { alert in
            guard let delay = delays[alert.ruleID], now - alert.raisedAt >= delay else { return nil }
            return try store.escalate(id: alert.id, at: now)
        }
    }
}
