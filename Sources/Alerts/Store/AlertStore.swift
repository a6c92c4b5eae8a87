import Foundation
import SQLiteDB

/// The alerts and the rule conditions between readings, in the gateway database (`alerts`, `alert_conditions`).
///
/// Deduplication is the database's: a partial unique index allows one unresolved alert per (asset, rule), so two
/// evaluations racing to raise the same alert leave one row, whichever thread or process they run on.
public struct AlertStore {
    private let db: Connection
    /// The connection it works on (in the caller's transaction).
    public var connection: Connection { db }
    /// The notification channels every change is queued for (`alert_outbox`), in the change's transaction.
    private let channels: [String]

    /// Assets under maintenance: their changes are not queued (the alert is stored all the same).
    private let maintenance: MaintenanceCalendar?

    public init(connection: Connection, channels: [String] = [], maintenance: MaintenanceCalendar? = nil) {
        self.db = connection
        self.channels = channels
        self.maintenance = maintenance
    }

    /// True when changes of `assetID`'s alerts at `time` are not notified (a maintenance covers it).
    public func isSuppressed(assetID: String, at time: Int64) -> Bool {
        maintenance?.period(of: assetID, at: time) != nil
    }

    /// What a change of an alert tells the agents.
    public enum Event: String, Sendable, CaseIterable {
        case opened, acknowledged, resolved
        /// Nobody acknowledged the open alert within its rule's `escalate_after`.
        case escalated
    }

    /// Queues the change for every channel, unless a maintenance covers the asset then — but the end of an alert
    /// the agents were told about (its acknowledgement, its resolution) is always told.
    private func enqueue(_ event: Event, alertID: Int64, assetID: String, at time: Int64) throws {
        if isSuppressed(assetID: assetID, at: time) {
            guard event == .acknowledged || event == .resolved, try wasNotified(alertID) else { return }
        }
        for channel in channels {
            try db.cached("INSERT INTO alert_outbox (alert_id, event, channel, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)")
                .execute([alertID, event.rawValue, channel, time, time])
        }
    }

    private static let columns = """
        id, asset_id, rule_id, severity, state, metric, since, raised_at, value, threshold, message,
        acknowledged_at, acknowledged_by, acknowledgement_comment, resolved_at, resolved_by, resolution_comment, escalated_at
        """

    private static func alert(_ row: Row) -> Alert {
        Alert(id: row.int(0), state: AlertState(rawValue: row.string(4)) ?? .open,
              cause: AlertCause(assetID: row.string(1), ruleID: row.string(2), severity: AlertSeverity(rawValue: row.string(3)) ?? .warning,
                                metric: row.optionalString(5), since: row.int(6), raisedAt: row.int(7), value: row.optionalDouble(8),
                                threshold: row.optionalDouble(9), message: row.string(10)),
              acknowledgement: row.optionalInt(11).map { Alert.Action(at: $0, by: row.optionalString(12), comment: row.optionalString(13)) },
              resolution: row.optionalInt(14).map { Alert.Action(at: $0, by: row.optionalString(15), comment: row.optionalString(16)) },
              escalatedAt: row.optionalInt(17))
    }

    /// Opens an alert for what a rule found, unless one is already unresolved for its (asset, rule): then nil.
    @discardableResult
    public func raise(_ cause: AlertCause) throws -> Alert? {
        let inserted = try db.cached("""
            INSERT INTO alerts (asset_id, rule_id, severity, state, metric, since, raised_at, value, threshold, message)
            VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """).execute([cause.assetID, cause.ruleID, cause.severity.rawValue, cause.metric, cause.since,
                          cause.raisedAt, cause.value, cause.threshold, cause.message])
        guard inserted > 0 else { return nil }
        let id = db.lastInsertRowID
        try enqueue(.opened, alertID: id, assetID: cause.assetID, at: cause.raisedAt)
        return try alert(id: id)
    }

    public func alert(id: Int64) throws -> Alert? {
        try db.cached("SELECT \(Self.columns) FROM alerts WHERE id = ?").first([id], Self.alert)
    }

    /// The unresolved alert of (asset, rule), if any.
    public func unresolved(assetID: String, ruleID: String) throws -> Alert? {
        try db.cached("SELECT \(Self.columns) FROM alerts WHERE asset_id = ? AND rule_id = ? AND state != 'resolved'")
            .first([assetID, ruleID], Self.alert)
    }

    /// Alerts in the given states, newest first.
    public func alerts(in states: Set<AlertState> = [.open, .acknowledged], limit: Int = 1_000) throws -> [Alert] {
        let names = AlertState.allCases.filter(states.contains).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        guard !names.isEmpty else { return [] }
        return try db.prepare("SELECT \(Self.columns) FROM alerts WHERE state IN (\(names)) ORDER BY raised_at DESC, id DESC LIMIT ?")
            .map([limit], Self.alert)
    }

    /// An agent takes the alert in charge. Refused when it is resolved or already acknowledged.
    @discardableResult
    public func acknowledge(id: Int64, by agent: String, comment: String? = nil, at time: Int64) throws -> Alert {
        let current = try existing(id)
        guard !agent.isEmpty else { throw AlertActionError.missingAgent }
        if let resolution = current.resolution { throw AlertActionError.alreadyResolved(id: id, at: resolution.at) }
        if let done = current.acknowledgement { throw AlertActionError.alreadyAcknowledged(id: id, by: done.by, at: done.at) }
        try db.run("""
            UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, acknowledgement_comment = ?
            WHERE id = ? AND state = 'open'
            """, time, agent, comment, id)
        try enqueue(.acknowledged, alertID: id, assetID: current.assetID, at: time)
        return try existing(id)
    }

    /// An agent closes the alert (the intervention is done). Refused when it is already resolved.
    @discardableResult
    public func resolve(id: Int64, by agent: String, comment: String? = nil, at time: Int64) throws -> Alert {
        let current = try existing(id)
        guard !agent.isEmpty else { throw AlertActionError.missingAgent }
        if let resolution = current.resolution { throw AlertActionError.alreadyResolved(id: id, at: resolution.at) }
        try db.run("""
            UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution_comment = ?
            WHERE id = ? AND state != 'resolved'
            """, time, agent, comment, id)
        try enqueue(.resolved, alertID: id, assetID: current.assetID, at: time)
        return try existing(id)
    }

    /// The assets with an unresolved alert of one of `rules`.
    public func unresolvedAssets(rules: [String]) throws -> Set<String> {
        guard !rules.isEmpty else { return [] }
        let list = rules.map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: ", ")
        return Set(try db.cached("SELECT DISTINCT asset_id FROM alerts WHERE state != 'resolved' AND rule_id IN (\(list))").map([]) { $0.string(0) })
    }

    /// True when the alert's opening was queued for the channels.
    private func wasNotified(_ alertID: Int64) throws -> Bool {
        try db.cached("SELECT 1 FROM alert_outbox WHERE alert_id = ? AND event = 'opened' LIMIT 1").first([alertID]) { _ in true } ?? false
    }

    /// Unresolved alerts whose opening was never queued for the channels (opened during a maintenance).
    public func unnotified() throws -> [Alert] {
        try db.cached("""
            SELECT \(Self.columns) FROM alerts a WHERE state != 'resolved'
            AND NOT EXISTS (SELECT 1 FROM alert_outbox o WHERE o.alert_id = a.id AND o.event = 'opened')
            """).map([], Self.alert)
    }

    /// The maintenance is over and the alert still unresolved: its opening is queued now.
    @discardableResult
    public func notifyAfterMaintenance(_ alert: Alert, at time: Int64) throws -> Alert {
        try enqueue(.opened, alertID: alert.id, assetID: alert.assetID, at: time)
        return alert
    }

    /// Open alerts nobody has acknowledged nor escalated yet, oldest first: (id, rule, raised at).
    public func unacknowledged() throws -> [(id: Int64, ruleID: String, raisedAt: Int64)] {
        try db.cached("SELECT id, rule_id, raised_at FROM alerts WHERE state = 'open' AND escalated_at IS NULL ORDER BY raised_at")
            .map { ($0.int(0), $0.string(1), $0.int(2)) }
    }

    /// Nobody acknowledged the alert in time: it is marked escalated and the change queued for the channels (once).
    @discardableResult
    public func escalate(id: Int64, at time: Int64) throws -> Alert? {
        let changed = try db.cached("UPDATE alerts SET escalated_at = ? WHERE id = ? AND state = 'open' AND escalated_at IS NULL")
            .execute([time, id])
        guard changed > 0 else { return nil }
        let alert = try existing(id)
        try enqueue(.escalated, alertID: id, assetID: alert.assetID, at: time)
        return alert
    }

    /// The condition of (asset, rule) cleared by itself: its unresolved alert, if any, is resolved with no agent.
    @discardableResult
    public func resolveCleared(assetID: String, ruleID: String, at time: Int64, comment: String) throws -> Alert? {
        guard let current = try unresolved(assetID: assetID, ruleID: ruleID) else { return nil }
        try db.run("""
            UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = NULL, resolution_comment = ?
            WHERE id = ? AND state != 'resolved'
            """, time, comment, current.id)
        try enqueue(.resolved, alertID: current.id, assetID: assetID, at: time)
        return try existing(current.id)
    }

    private func existing(_ id: Int64) throws -> Alert {
        guard let alert = try alert(id: id) else { throw AlertActionError.notFound(id: id) }
        return alert
    }

    // MARK: - Conditions between readings

    /// Where (asset, rule) stands, the time of the newest reading evaluated and what the rule remembers; nil when
    /// never seen (or normal with nothing to remember).
    public func condition(assetID: String, ruleID: String) throws -> (state: ThresholdState, evaluatedAt: Int64, memory: ReadingMemory)? {
        try db.cached("SELECT state, since, clearing_since, evaluated_at, memory FROM alert_conditions WHERE asset_id = ? AND rule_id = ?")
            .first([assetID, ruleID]) { row in
                let state: ThresholdState = switch row.string(0) {
                case "pending": .pending(since: row.int(1))
                case "active": .active(since: row.int(1), clearingSince: row.optionalInt(2))
                default: .normal
                }
                // A memory that cannot be read (written by a later version) is started afresh, not fatal.
                let memory = row.optionalString(4).flatMap { try? JSONDecoder().decode(ReadingMemory.self, from: Data($0.utf8)) }
                return (state, row.int(3), memory ?? ReadingMemory())
            }
    }

    /// Records where (asset, rule) stands after the reading at `evaluatedAt`; a normal state with nothing to remember
    /// removes the row, unless `keepEvaluatedAt` (a rule judged per day keeps the last day judged).
    public func saveCondition(assetID: String, ruleID: String, state: ThresholdState, evaluatedAt: Int64, memory: ReadingMemory = ReadingMemory(),
                              keepEvaluatedAt: Bool = false) throws {
        let (name, since, clearingSince): (String, Int64?, Int64?) = switch state {
        case .normal: ("normal", nil, nil)
        case .pending(let since): ("pending", since, nil)
        case .active(let since, let clearingSince): ("active", since, clearingSince)
        }
        if state == .normal, memory.isEmpty, !keepEvaluatedAt {
            try db.cached("DELETE FROM alert_conditions WHERE asset_id = ? AND rule_id = ?").execute([assetID, ruleID])
            return
        }
        let json = memory.isEmpty ? nil : try String(decoding: Self.memoryEncoder.encode(memory), as: UTF8.self)
        try db.cached("""
            INSERT INTO alert_conditions (asset_id, rule_id, state, since, clearing_since, evaluated_at, memory) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(asset_id, rule_id) DO UPDATE SET state = excluded.state, since = excluded.since,
                clearing_since = excluded.clearing_since, evaluated_at = excluded.evaluated_at, memory = excluded.memory
            """).execute([assetID, ruleID, name, since, clearingSince, evaluatedAt, json])
    }

    private static let memoryEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
}
