import Foundation
import SQLiteDB
import Storage
import Testing
@testable import Alerts

struct AlertStoreTests {
    func co2(_ asset: String = "ecole-classe-cp", at time: Int64 = 1_000) -> AlertCause {
        AlertCause(assetID: asset, ruleID: "co2-ecole", severity: .warning, metric: "co2", since: time - 600_000, raisedAt: time,
                        value: 1_620, threshold: 1_500, message: "CO₂ à 1 620 ppm dans la classe de CP")
    }

    @Test("one unresolved alert per (asset, rule): a second raise is deduplicated, another asset gets its own")
    func deduplicates() throws {
        let database = try TestDatabase()
        let store = AlertStore(connection: database.connection)
        let first = try #require(try store.raise(co2()))
        #expect(first.state == .open && first.value == 1_620 && first.since == 1_000 - 600_000)
        #expect(try store.raise(co2(at: 2_000)) == nil)
        #expect(try store.raise(co2("ecole-classe-ce1")) != nil)
        #expect(try store.alerts().count == 2)
    }

    @Test("the database itself refuses a second unresolved alert, whoever writes it")
    func uniqueIndex() throws {
        let database = try TestDatabase()
        try AlertStore(connection: database.connection).raise(co2())
        #expect(throws: SQLiteError.self) {
            try database.connection.run("INSERT INTO alerts (asset_id, rule_id, severity, state, since, raised_at, message) VALUES ('ecole-classe-cp', 'co2-ecole', 'warning', 'acknowledged', 0, 0, 'x')")
        }
    }

    @Test("open → acknowledged → resolved, with who, when and a comment; then the rule may raise again")
    func lifecycle() throws {
        let database = try TestDatabase()
        let store = AlertStore(connection: database.connection)
        let alert = try #require(try store.raise(co2()))
        let acknowledged = try store.acknowledge(id: alert.id, by: "Martine (services techniques)", comment: "fenêtres ouvertes", at: 5_000)
        #expect(acknowledged.state == .acknowledged)
        #expect(acknowledged.acknowledgement == Alert.Action(at: 5_000, by: "Martine (services techniques)", comment: "fenêtres ouvertes"))
        #expect(throws: AlertActionError.alreadyAcknowledged(id: alert.id, by: "Martine (services techniques)", at: 5_000)) {
            try store.acknowledge(id: alert.id, by: "Paul", at: 6_000)
        }
        let resolved = try store.resolve(id: alert.id, by: "Martine (services techniques)", comment: "VMC réparée", at: 9_000)
        #expect(resolved.state == .resolved && resolved.resolution?.by == "Martine (services techniques)")
        #expect(throws: AlertActionError.alreadyResolved(id: alert.id, at: 9_000)) { try store.resolve(id: alert.id, by: "Paul", at: 9_500) }
        #expect(try store.alerts().isEmpty)
        #expect(try store.alerts(in: [.resolved]).map(\.id) == [alert.id])
        #expect(try store.raise(co2(at: 20_000)) != nil)
    }

    @Test("a cleared condition resolves its alert with no agent; unknown ids and missing agents are refused with a reason")
    func automaticResolutionAndErrors() throws {
        let database = try TestDatabase()
        let store = AlertStore(connection: database.connection)
        let alert = try #require(try store.raise(co2()))
        let resolved = try #require(try store.resolveCleared(assetID: alert.assetID, ruleID: alert.ruleID, at: 7_000, comment: "CO₂ revenu sous 1 200 ppm"))
        #expect(resolved.state == .resolved && resolved.resolution == Alert.Action(at: 7_000, by: nil, comment: "CO₂ revenu sous 1 200 ppm"))
        #expect(try store.resolveCleared(assetID: alert.assetID, ruleID: alert.ruleID, at: 8_000, comment: "") == nil)
        #expect(throws: AlertActionError.notFound(id: 999)) { try store.acknowledge(id: 999, by: "Paul", at: 1) }
        let other = try #require(try store.raise(co2("ecole-classe-ce1")))
        #expect(throws: AlertActionError.missingAgent) { try store.resolve(id: other.id, by: "", at: 1) }
        #expect("\(AlertActionError.notFound(id: 999))".contains("pmc-gateway alerts list"))
    }

    @Test("conditions between readings survive a reopened database; a normal state leaves no row")
    func conditionsPersist() throws {
        let database = try TestDatabase()
        let store = AlertStore(connection: database.connection)
        try store.saveCondition(assetID: "a", ruleID: "r", state: .pending(since: 100), evaluatedAt: 400)
        try store.saveCondition(assetID: "b", ruleID: "r", state: .active(since: 50, clearingSince: 300), evaluatedAt: 350)
        let reopened = AlertStore(connection: try Schema.open(path: database.path))
        #expect(try reopened.condition(assetID: "a", ruleID: "r")?.state == .pending(since: 100))
        #expect(try reopened.condition(assetID: "a", ruleID: "r")?.evaluatedAt == 400)
        #expect(try reopened.condition(assetID: "b", ruleID: "r")?.state == .active(since: 50, clearingSince: 300))
        try reopened.saveCondition(assetID: "a", ruleID: "r", state: .normal, evaluatedAt: 500)
        #expect(try reopened.condition(assetID: "a", ruleID: "r") == nil)
        #expect(try database.connection.scalarInt("SELECT count(*) FROM alert_conditions") == 1)
    }

    @Test("every change is queued for every channel, in the change's transaction; a deduplicated raise queues nothing")
    func outbox() throws {
        let database = try TestDatabase()
        let store = AlertStore(connection: database.connection, channels: ["astreinte", "chat"])
        let alert = try #require(try store.raise(co2(at: 5_000)))
        #expect(try store.raise(co2(at: 6_000)) == nil)
        try store.acknowledge(id: alert.id, by: "Martine", at: 7_000)
        try store.resolve(id: alert.id, by: "Martine", at: 8_000)
        let rows = try database.connection.prepare("SELECT event, channel, created_at, next_attempt_at, attempts FROM alert_outbox ORDER BY id")
            .map { "\($0.string(0)) \($0.string(1)) \($0.int(2)) \($0.int(3)) \($0.int(4))" }
        #expect(rows == ["opened astreinte 5000 5000 0", "opened chat 5000 5000 0", "acknowledged astreinte 7000 7000 0",
                         "acknowledged chat 7000 7000 0", "resolved astreinte 8000 8000 0", "resolved chat 8000 8000 0"])
        // A change that fails leaves no notification behind.
        let other = try #require(try store.raise(co2("ecole-classe-ce1")))
        #expect(throws: AlertActionError.self) {
            try database.connection.transaction { try store.acknowledge(id: other.id, by: "", at: 9_000) }
        }
        #expect(try database.connection.scalarInt("SELECT count(*) FROM alert_outbox WHERE event = 'acknowledged'") == 2)
    }
}
