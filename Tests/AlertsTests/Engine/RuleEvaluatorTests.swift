import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Alerts

struct RuleEvaluatorTests {
    let minute: Int64 = 60_000
    /// 2026-01-12 08:00 UTC (09:00 in Paris).
    let start: Int64 = 1_768_204_800_000
    let classroom = Asset(id: "ECOLE-CP", name: "Classe de CP", type: .room, domain: .batiments, address: "2 rue des Écoles")
    let dormitory = Asset(id: "CRECHE-DORTOIR", name: "Dortoir", type: .room, domain: .petiteEnfance)
    let rules = AlertRuleSet(
        rules: [AlertRuleDefinition(id: "co2", name: "CO₂ au-dessus de 1 500 ppm", metric: "co2", assetTypes: [.room], direction: .above,
                                    level: 1_500, duration: 600, clearLevel: 1_200, clearDuration: 300, severity: "warning")],
        overrides: [AlertRuleOverride(assetID: "CRECHE-DORTOIR", ruleID: "co2", level: 1_000)])

    func evaluator() -> RuleEvaluator {
        RuleEvaluator(rules: rules, assets: [classroom, dormitory], timeZone: TimeZone(identifier: "Europe/Paris")!, logger: Logger(label: "test"))
    }

    func co2(_ asset: String = "ECOLE-CP", at minutes: Int64, _ value: Double) -> ObservedReading {
        ObservedReading(assetID: asset, deviceKey: "capteur", metric: "co2", unit: "ppm", time: start + minutes * minute, value: value)
    }

    func batch(_ evaluator: RuleEvaluator, _ readings: [ObservedReading], on db: Connection) throws {
        try commitBatch(evaluator, readings, on: db)
    }

    @Test("watches only the metrics its rules read, on the assets they apply to")
    func watches() {
        let evaluator = evaluator()
        #expect(evaluator.watches(assetID: "ECOLE-CP", metric: "co2"))
        #expect(!evaluator.watches(assetID: "ECOLE-CP", metric: "temperature"))
        #expect(!evaluator.watches(assetID: "MAIRIE", metric: "co2"))
        #expect(evaluator.watchedPairs == 2)
    }

    @Test("raises once after 10 minutes above, in French with place, value, threshold and start; clears by itself under 1,200 held 5 minutes")
    func raisesAndClears() throws {
        let database = try TestDatabase()
        let evaluator = evaluator()
        let store = AlertStore(connection: database.connection)
        try batch(evaluator, [co2(at: 0, 1_400), co2(at: 5, 1_650), co2(at: 10, 1_700)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        try batch(evaluator, [co2(at: 15, 1_820), co2(at: 20, 1_900)], on: database.connection)
        let alerts = try store.alerts()
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.since == start + 5 * minute && alert.raisedAt == start + 15 * minute && alert.value == 1_820 && alert.threshold == 1_500)
        #expect(alert.message == "CO₂ au-dessus de 1 500 ppm — Classe de CP (2 rue des Écoles) : 1\u{202F}820 ppm, au-dessus du seuil de 1\u{202F}500 ppm, depuis le 12/01/2026 09:05.")
        try batch(evaluator, [co2(at: 25, 1_150), co2(at: 28, 1_100)], on: database.connection)
        #expect(try store.alerts().count == 1)
        try batch(evaluator, [co2(at: 30, 1_050)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        let resolved = try #require(try store.alerts(in: [.resolved]).first)
        #expect(resolved.resolution?.by == nil && resolved.resolution?.at == start + 30 * minute)
        #expect(resolved.resolution?.comment?.contains("Revenu à 1\u{202F}050 ppm (sous 1\u{202F}200 ppm)") == true)
        #expect(try database.connection.scalarInt("SELECT count(*) FROM alert_conditions") == 0)
    }

    @Test("a restart in the middle of a duration neither forgets it nor starts it again")
    func survivesRestart() throws {
        let database = try TestDatabase()
        try batch(evaluator(), [co2(at: 0, 1_600), co2(at: 8, 1_650)], on: database.connection)
        let restarted = evaluator()   // a new process: state comes from the database
        try batch(restarted, [co2(at: 10, 1_700)], on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().map(\.since) == [start])
    }

    @Test("a rolled-back batch leaves no alert and no condition, and the next batch evaluates afresh")
    func rollback() throws {
        let database = try TestDatabase()
        let evaluator = evaluator()
        try database.connection.execute("BEGIN IMMEDIATE")
        try evaluator.batchWillCommit([co2(at: 0, 1_600), co2(at: 12, 1_700)], db: database.connection)
        try database.connection.execute("ROLLBACK")
        evaluator.batchDidRollBack()
        #expect(try AlertStore(connection: database.connection).alerts().isEmpty)
        #expect(try database.connection.scalarInt("SELECT count(*) FROM alert_conditions") == 0)
        try batch(evaluator, [co2(at: 0, 1_600), co2(at: 12, 1_700)], on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().count == 1)
    }

    @Test("late readings do not move a condition back; repeated readings do not raise twice; overrides apply")
    func lateRepeatedAndOverridden() throws {
        let database = try TestDatabase()
        let evaluator = evaluator()
        try batch(evaluator, [co2(at: 0, 1_600), co2(at: 10, 1_600)], on: database.connection)
        try batch(evaluator, [co2(at: 5, 900), co2(at: 10, 1_600), co2(at: 11, 1_700)], on: database.connection)  // late, repeat
        #expect(try AlertStore(connection: database.connection).alerts().count == 1)
        #expect(try AlertStore(connection: database.connection).alerts(in: [.resolved]).isEmpty)
        // The dormitory's rule raises at 1,000 ppm (its override).
        try batch(evaluator, [co2("CRECHE-DORTOIR", at: 0, 1_100), co2("CRECHE-DORTOIR", at: 10, 1_050)], on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().map(\.assetID).sorted() == ["CRECHE-DORTOIR", "ECOLE-CP"])
    }

    @Test("two readings of one millisecond (a burst timed by its receipt) are both judged, in arrival order")
    func sameMillisecond() throws {
        let database = try TestDatabase()
        let instant = AlertRuleSet(rules: [AlertRuleDefinition(id: "co2", name: "CO₂", metric: "co2", assetTypes: [.room], direction: .above,
                                                               level: 1_500, duration: 0, clearLevel: 1_200, clearDuration: 0)])
        let evaluator = RuleEvaluator(rules: instant, assets: [classroom], timeZone: TimeZone(identifier: "Europe/Paris")!, logger: Logger(label: "test"))
        try batch(evaluator, [co2(at: 0, 900)], on: database.connection)
        try batch(evaluator, [co2(at: 1, 1_000), co2(at: 1, 1_700)], on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().map(\.value) == [1_700])
    }

    @Test("French numbers: thousands separated, decimal comma, at most two decimals")
    func frenchNumbers() {
        #expect(AlertMessage.number(1_820) == "1\u{202F}820")
        #expect(AlertMessage.number(19.5) == "19,5")
        #expect(AlertMessage.number(-3.14159) == "-3,14")
        #expect(AlertMessage.number(1_234_567.05) == "1\u{202F}234\u{202F}567,05")
        #expect(AlertMessage.number(0) == "0")
    }
}
