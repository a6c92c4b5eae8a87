import Assets
import Foundation
import SQLiteDB
import Storage
import Testing
@testable import Alerts

struct EscalationMonitorTests {
    let minute: Int64 = 60_000
    let rules = AlertRuleSet(rules: [
        AlertRuleDefinition(id: "co2", name: "CO₂", metric: "co2", assetTypes: [.room], direction: .above, level: 1_500, escalateAfter: 1_800),
        AlertRuleDefinition(id: "temp", name: "T", metric: "temperature", assetTypes: [.room], direction: .above, level: 28),
    ], silence: SilenceRule(escalateAfter: 3_600))

    func cause(_ asset: String, _ rule: String, at time: Int64) -> AlertCause {
        AlertCause(assetID: asset, ruleID: rule, severity: .warning, metric: nil, since: time, raisedAt: time, message: "\(rule) sur \(asset)")
    }

    @Test("an open alert nobody acknowledged is escalated once its rule's delay has passed, once, with the change queued per channel; acknowledged alerts and rules without a delay never are")
    func escalatesOnce() throws {
        let database = try TestDatabase()
        let store = AlertStore(connection: database.connection, channels: ["astreinte", "supervision"])
        let monitor = EscalationMonitor(rules: rules)
        #expect(monitor.shortestDelay == 1_800)
        let open = try #require(try store.raise(cause("CLASSE-1", "co2", at: 0)))
        let taken = try #require(try store.raise(cause("CLASSE-2", "co2", at: 0)))
        try store.acknowledge(id: taken.id, by: "Martine", at: 5 * minute)
        try store.raise(cause("CLASSE-1", "temp", at: 0))
        try store.raise(cause("ARMOIRE-A", SilenceMonitor.parentRuleID, at: 0))
        #expect(try monitor.evaluate(db: database.connection, channels: ["astreinte", "supervision"], now: 29 * minute).isEmpty)
        let escalated = try monitor.evaluate(db: database.connection, channels: ["astreinte", "supervision"], now: 30 * minute)
        #expect(escalated.map(\.id) == [open.id] && escalated.first?.escalatedAt == 30 * minute && escalated.first?.state == .open)
        #expect(try monitor.evaluate(db: database.connection, channels: ["astreinte", "supervision"], now: 45 * minute).isEmpty)
        #expect(try database.connection.scalarInt("SELECT count(*) FROM alert_outbox WHERE event = 'escalated' AND alert_id = \(open.id)") == 2)
        // The cabinet's silence after an hour.
        let silence = try monitor.evaluate(db: database.connection, channels: [], now: 60 * minute)
        #expect(silence.map(\.assetID) == ["ARMOIRE-A"])
    }
}
