import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Alerts

/// `while:` — air conditioning only above 26 °C: the room's temperature judged only while its air conditioner
/// (a metered plug on the room) draws power.
struct WhileConditionTests {
    let minute: Int64 = 60_000
    let start: Int64 = 1_783_065_600_000   // 2026-07-03 08:00 UTC
    let office = Asset(id: "MAIRIE-BUREAU", name: "Bureau du maire", type: .room, domain: .batiments)
    let rule = AlertRuleDefinition(id: "clim-sous-26", name: "Climatisation en marche sous 26 °C", metric: "temperature",
                                   assetTypes: [.room], direction: .below, level: 26, duration: 1_800, clearLevel: 26, clearDuration: 0)
    var rules: AlertRuleSet {
        var rule = rule
        rule.whileCondition = MetricCondition(metric: "power", direction: .above, level: 200)
        return AlertRuleSet(rules: [rule])
    }

    func reading(_ metric: String, _ minutes: Int64, _ value: Double) -> ObservedReading {
        ObservedReading(assetID: "MAIRIE-BUREAU", deviceKey: metric, metric: metric, unit: metric == "power" ? "W" : "°C",
                        time: start + minutes * minute, value: value)
    }

    func evaluator() -> RuleEvaluator {
        RuleEvaluator(rules: rules, assets: [office], timeZone: TimeZone(identifier: "Europe/Paris")!, logger: Logger(label: "test"))
    }

    @Test("24 °C for 30 min with the air conditioner drawing 800 W raises; at 24 °C with it off, nothing is judged and the alert ends")
    func judgedWhileRunning() throws {
        let database = try TestDatabase()
        let evaluator = evaluator()
        #expect(evaluator.watches(assetID: "MAIRIE-BUREAU", metric: "power"))
        let store = AlertStore(connection: database.connection)
        // Off: 24 °C is not judged.
        try commitBatch(evaluator, [reading("power", 0, 0), reading("temperature", 1, 24), reading("temperature", 40, 24)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        try commitBatch(evaluator, [reading("power", 50, 800), reading("temperature", 51, 24), reading("temperature", 81, 23.5)], on: database.connection)
        let alert = try #require(try store.alerts().first)
        #expect(alert.since == start + 51 * minute && alert.raisedAt == start + 81 * minute)
        try commitBatch(evaluator, [reading("power", 90, 3), reading("temperature", 91, 23)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        #expect(try store.alerts(in: [.resolved]).first?.resolution?.comment == "Fin de la période surveillée (power au-dessus de 200) le 03/07/2026 11:31.")
    }

    @Test("after a restart the condition's metric comes from the stored latest value")
    func conditionFromDatabase() throws {
        let database = try TestDatabase()
        let db = database.connection
        try db.execute("INSERT INTO devices (key, profile, asset_id, declared) VALUES ('prise-clim', 'p', 'MAIRIE-BUREAU', 1)")
        let writer = ReadingWriter(connection: db)
        try writer.begin()
        let device = try writer.device(key: "prise-clim", at: start).record
        try writer.insertReading(device: device, metric: "power", unit: "W", kind: "gauge", time: start, value: 900, receivedAt: start)
        try writer.commit(checkpoint: nil, refreshRollups: true)
        let restarted = evaluator()
        try commitBatch(restarted, [reading("temperature", 1, 24), reading("temperature", 31, 24)], on: db)
        #expect(try AlertStore(connection: db).alerts().count == 1)
    }
}
