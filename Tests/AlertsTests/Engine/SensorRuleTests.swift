import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Alerts

/// The kinds judged on a series' earlier readings (rate of change, stuck value, counter going back) and on what a
/// sensor can measure (implausible), through the evaluator as the writer runs it, on a real database.
struct SensorRuleTests {
    let minute: Int64 = 60_000
    /// 2026-01-12 08:00 UTC (09:00 in Paris).
    let start: Int64 = 1_768_204_800_000
    let boilerRoom = Asset(id: "GYMNASE-CHAUFFERIE", name: "Chaufferie du gymnase", type: .room, domain: .equipementsSportifs,
                           address: "12 avenue des Sports")
    let meter = Asset(id: "MAIRIE-COMPTEUR", name: "Compteur électrique de la mairie", type: .electricityMeter, domain: .energie)

    func evaluator(_ rule: AlertRuleDefinition) -> RuleEvaluator {
        RuleEvaluator(rules: AlertRuleSet(rules: [rule]), assets: [boilerRoom, meter], timeZone: TimeZone(identifier: "Europe/Paris")!,
                      logger: Logger(label: "test"))
    }

    func reading(_ asset: String = "GYMNASE-CHAUFFERIE", _ metric: String = "temperature", unit: String = "°C", at minutes: Int64,
                 _ value: Double) -> ObservedReading {
        ObservedReading(assetID: asset, deviceKey: "capteur", metric: metric, unit: unit, time: start + minutes * minute, value: value)
    }

    func batch(_ evaluator: RuleEvaluator, _ readings: [ObservedReading], on db: Connection) throws {
        try commitBatch(evaluator, readings, on: db)
    }

    // MARK: - Rate of change

    let hotWaterDrop = AlertRuleDefinition(id: "ecs-chute", name: "Boucle d'eau chaude : chute rapide", metric: "temperature",
                                           kind: .rateOfChange, ratePer: 3_600, assetTypes: [.room], direction: .below, level: -10,
                                           clearLevel: -2)

    @Test("rate of change: 62 → 57 °C in 15 min is -20 °C/h, below -10 °C/h: raised at once, in °C/h; clears once the change is back above -2 °C/h")
    func rateOfChange() throws {
        let database = try TestDatabase()
        let evaluator = evaluator(hotWaterDrop)
        let store = AlertStore(connection: database.connection)
        // -1 °C in 15 min = -4 °C/h: not yet. The first reading has no rate at all.
        try batch(evaluator, [reading(at: 0, 63), reading(at: 15, 62)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        try batch(evaluator, [reading(at: 30, 57)], on: database.connection)
        let alert = try #require(try store.alerts().first)
        #expect(alert.value == 57 && alert.threshold == -10 && alert.since == start + 30 * minute)
        #expect(alert.message == "Boucle d'eau chaude : chute rapide — Chaufferie du gymnase (12 avenue des Sports) : -20 °C/h "
            + "(de 62 à 57 °C depuis 12/01/2026 09:15), sous le seuil de -10 °C/h, le 12/01/2026 09:30.")
        // -3 °C/h (57 → 56.25 in 15 min) is between the levels: still raised; +4 °C/h clears.
        try batch(evaluator, [reading(at: 45, 56.25)], on: database.connection)
        #expect(try store.alerts().count == 1)
        try batch(evaluator, [reading(at: 60, 57.25)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        let resolved = try #require(try store.alerts(in: [.resolved]).first)
        #expect(resolved.resolution?.comment == "Variation revenue au-dessus de -2 °C/h depuis le 12/01/2026 10:00.")
    }

    @Test("rate of change: the previous reading survives a restart (a new evaluator computes the rate from the stored one)")
    func rateOfChangeAfterRestart() throws {
        let database = try TestDatabase()
        try batch(evaluator(hotWaterDrop), [reading(at: 0, 62)], on: database.connection)
        try batch(evaluator(hotWaterDrop), [reading(at: 15, 57)], on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().count == 1)
    }

    // MARK: - Stuck

    let frozenProbe = AlertRuleDefinition(id: "sonde-figee", name: "Sonde figée", metric: "temperature", kind: .stuck, tolerance: 0.05,
                                          assetTypes: [.room], direction: .above, level: 0.5, duration: 12 * 3_600, clearLevel: 0.5,
                                          clearDuration: 0)

    @Test("stuck: the same value (within 0.05) for 12 h counts from the run's first reading, survives a restart, and clears when it moves")
    func stuck() throws {
        let database = try TestDatabase()
        let store = AlertStore(connection: database.connection)
        // 21.5 at 09:00, then every hour 21.5 or 21.52 (within the tolerance).
        try batch(evaluator(frozenProbe), [reading(at: 0, 21.5), reading(at: 60, 21.52), reading(at: 120, 21.5)], on: database.connection)
        let restarted = evaluator(frozenProbe)
        try batch(restarted, (3...11).map { reading(at: Int64($0) * 60, 21.5) }, on: database.connection)
        #expect(try store.alerts().isEmpty)   // 11 h unchanged
        try batch(restarted, [reading(at: 12 * 60, 21.53)], on: database.connection)
        let alert = try #require(try store.alerts().first)
        #expect(alert.since == start && alert.raisedAt == start + 12 * 60 * minute && alert.threshold == nil)
        #expect(alert.message == "Sonde figée — Chaufferie du gymnase (12 avenue des Sports) : 21,53 °C sans changement (à 0,05 °C près) "
            + "depuis le 12/01/2026 09:00, plus de 12 h : capteur figé ?")
        try batch(restarted, [reading(at: 13 * 60, 20.8)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        #expect(try store.alerts(in: [.resolved]).first?.resolution?.comment == "La valeur change de nouveau (20,8 °C) depuis le 12/01/2026 22:00.")
    }

    @Test("stuck: a value that moves by more than the tolerance starts a new run; 11 h of equal values after it raise nothing")
    func stuckRunRestarts() throws {
        let database = try TestDatabase()
        let evaluator = evaluator(frozenProbe)
        try batch(evaluator, (0...6).map { reading(at: Int64($0) * 60, 21.5) } + [reading(at: 7 * 60, 21.6)]
            + (8...18).map { reading(at: Int64($0) * 60, 21.6) }, on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().isEmpty)
    }

    // MARK: - Implausible

    @Test("implausible: outside 250–10,000 ppm raises at once with the bound passed; a plausible value clears")
    func implausible() throws {
        let database = try TestDatabase()
        let rule = AlertRuleDefinition(id: "co2-impossible", name: "CO₂ : valeur impossible", metric: "co2", kind: .implausible,
                                       plausibleMin: 250, plausibleMax: 10_000, assetTypes: [.room], direction: .above, level: 0.5,
                                       clearLevel: 0.5)
        let evaluator = evaluator(rule)
        let store = AlertStore(connection: database.connection)
        try batch(evaluator, [reading("GYMNASE-CHAUFFERIE", "co2", unit: "ppm", at: 0, 420), reading("GYMNASE-CHAUFFERIE", "co2", unit: "ppm", at: 10, 10_000)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        try batch(evaluator, [reading("GYMNASE-CHAUFFERIE", "co2", unit: "ppm", at: 20, 65_535)], on: database.connection)
        let alert = try #require(try store.alerts().first)
        #expect(alert.threshold == 10_000)
        #expect(alert.message == "CO₂ : valeur impossible — Chaufferie du gymnase (12 avenue des Sports) : 65\u{202F}535 ppm, hors de la plage "
            + "possible 250–10\u{202F}000 ppm, depuis le 12/01/2026 09:20 : capteur défaillant ?")
        try batch(evaluator, [reading("GYMNASE-CHAUFFERIE", "co2", unit: "ppm", at: 30, 480)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        // Below the minimum: the threshold is the minimum.
        try batch(evaluator, [reading("GYMNASE-CHAUFFERIE", "co2", unit: "ppm", at: 40, 0)], on: database.connection)
        #expect(try store.alerts().first?.threshold == 250)
    }

    // MARK: - Counter rollback

    let indexBack = AlertRuleDefinition(id: "index-recul", name: "Index du compteur en recul", metric: "energy", kind: .counterRollback,
                                        tolerance: 0.5, assetTypes: [.electricityMeter], direction: .above, level: 0.5, clearLevel: 0.5)

    func index(at minutes: Int64, _ value: Double) -> ObservedReading {
        reading("MAIRIE-COMPTEUR", "energy", unit: "kWh", at: minutes, value)
    }

    @Test("counter rollback: a drop beyond the tolerance raises at once with the index before; normal readings after it do not resolve it; after an agent resolves it, the next drop raises again")
    func counterRollback() throws {
        let database = try TestDatabase()
        let evaluator = evaluator(indexBack)
        let store = AlertStore(connection: database.connection)
        // 45,210 → 45,209.7: within the 0.5 kWh tolerance (rounding), nothing.
        try batch(evaluator, [index(at: 0, 45_210), index(at: 60, 45_209.7), index(at: 120, 45_215)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        try batch(evaluator, [index(at: 180, 12)], on: database.connection)
        let alert = try #require(try store.alerts().first)
        #expect(alert.threshold == 45_215 && alert.value == 12 && alert.raisedAt == start + 180 * minute)
        #expect(alert.message == "Index du compteur en recul — Compteur électrique de la mairie : index 12 kWh après 45\u{202F}215 kWh "
            + "(relevé du 12/01/2026 11:00), le 12/01/2026 12:00 : remise à zéro ou compteur remplacé ?")
        try batch(evaluator, [index(at: 240, 15), index(at: 300, 19)], on: database.connection)
        #expect(try store.alerts().count == 1)   // still open: an agent must check the meter
        try store.resolve(id: alert.id, by: "agent.technique", comment: "compteur remplacé par Enedis", at: start + 310 * minute)
        try batch(evaluator, [index(at: 360, 22), index(at: 420, 3)], on: database.connection)
        let again = try #require(try store.alerts().first)
        #expect(again.id != alert.id && again.threshold == 22)
    }

    @Test("counter rollback: the index before survives a restart")
    func counterRollbackAfterRestart() throws {
        let database = try TestDatabase()
        try batch(evaluator(indexBack), [index(at: 0, 45_210)], on: database.connection)
        try batch(evaluator(indexBack), [index(at: 60, 3)], on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().first?.threshold == 45_210)
    }

    @Test("back-test replays the remembering kinds as the evaluator does: two rollbacks over a day are two episodes")
    func backtestCounts() {
        let readings: [(Int64, Double)] = [(0, 100), (60, 110), (120, 5), (180, 9), (240, 2), (300, 4)].map { (start + $0.0 * minute, $0.1) }
        let episodes = RuleBacktest.episodes(WatchedRule(indexBack), readings, calendar: Calendar(identifier: .gregorian))
        #expect(episodes.map(\.raisedAt) == [start + 120 * minute, start + 240 * minute])
        #expect(episodes.map(\.peak) == [5, 2])
    }

    // MARK: - Share of an asset attribute

    @Test("Linky: apparent power above 95 % of the subscribed 36 kVA for 10 min raises, in VA and percent; a meter without subscribed power is not watched")
    func shareOfSubscribedPower() throws {
        let database = try TestDatabase()
        let linky = Asset(id: "MAIRIE-LINKY", name: "Linky de la mairie", type: .electricityMeter, domain: .energie,
                          attributes: ["subscribed_power_kva": .number(36)])
        let rule = AlertRuleDefinition(id: "linky-95", name: "Puissance proche de la puissance souscrite", metric: "apparent_power",
                                       relativeTo: "subscribed_power_kva", assetTypes: [.electricityMeter], direction: .above, level: 0.95,
                                       duration: 600, clearLevel: 0.8, clearDuration: 0)
        let evaluator = RuleEvaluator(rules: AlertRuleSet(rules: [rule]), assets: [linky, meter], timeZone: TimeZone(identifier: "Europe/Paris")!,
                                      logger: Logger(label: "test"))
        #expect(evaluator.watches(assetID: "MAIRIE-LINKY", metric: "apparent_power"))
        #expect(!evaluator.watches(assetID: "MAIRIE-COMPTEUR", metric: "apparent_power"))
        let power = { (minutes: Int64, va: Double) in self.reading("MAIRIE-LINKY", "apparent_power", unit: "VA", at: minutes, va) }
        try batch(evaluator, [power(0, 30_000), power(5, 35_000), power(10, 34_000), power(15, 35_500), power(25, 35_600)], on: database.connection)
        let store = AlertStore(connection: database.connection)
        let alert = try #require(try store.alerts().first)
        #expect(alert.since == start + 15 * minute && alert.raisedAt == start + 25 * minute && alert.threshold == 34_200)
        #expect(alert.message == "Puissance proche de la puissance souscrite — Linky de la mairie : 35\u{202F}600 VA, soit 99\u{00A0}% de la "
            + "puissance souscrite (36\u{202F}000 VA), seuil 95\u{00A0}%, depuis le 12/01/2026 09:15.")
        try batch(evaluator, [power(30, 28_000)], on: database.connection)
        #expect(try store.alerts(in: [.resolved]).first?.resolution?.comment == "Revenu à 28\u{202F}000 VA (sous 28\u{202F}800 VA) depuis le 12/01/2026 09:30.")
    }
}
