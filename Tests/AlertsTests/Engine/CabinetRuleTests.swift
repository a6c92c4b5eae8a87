import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Alerts

/// A control cabinet's power against its light points' nominal power, at night, in Paris.
struct CabinetRuleTests {
    let minute: Int64 = 60_000
    /// 2026-01-12 20:00 UTC (21:00 in Paris): night; noon is day.
    let night: Int64 = 1_768_248_000_000
    let noon: Int64 = 1_768_219_200_000
    let paris = Coordinates(latitude: 48.8566, longitude: 2.3522)
    var assets: [Asset] {
        [Asset(id: "ARMOIRE-A", name: "Armoire A", type: .controlCabinet, domain: .eclairage, address: "rue des Lilas")]
            + [("PL-1", 39.0), ("PL-2", 39.0), ("PL-3", 100.0)].map {
                Asset(id: $0.0, name: $0.0, type: .lightPoint, domain: .eclairage, parent: "ARMOIRE-A", attributes: ["nominal_power_w": .number($0.1)])
            }
    }
    let rules = AlertRuleSet(rules: [
        AlertRuleDefinition(id: "armoire-surconsommation", name: "Armoire : puissance au-delà de ses points", metric: "power",
                            kind: .cabinetVsPoints, assetTypes: [.controlCabinet], direction: .above, level: 1.3, duration: 0,
                            clearLevel: 1.15, clearDuration: 0),
        AlertRuleDefinition(id: "lampe-eteinte", name: "Point lumineux éteint", metric: "power", kind: .lampOut, assetTypes: [.lightPoint],
                            direction: .below, level: 0.3, duration: 0),
    ])

    func power(_ asset: String, _ time: Int64, _ watts: Double) -> ObservedReading {
        ObservedReading(assetID: asset, deviceKey: asset, metric: "power", unit: "W", time: time, value: watts)
    }

    @Test("250 W at night for 178 W of points is 140 %, above 130 %: raised with the points counted; by day not judged; a point out is left out of the expected power, and the cabinet clears")
    func againstWorkingPoints() throws {
        let database = try TestDatabase()
        let evaluator = RuleEvaluator(rules: rules, assets: assets, timeZone: TimeZone(identifier: "Europe/Paris")!, logger: Logger(label: "test"),
                                      communeCoordinates: paris)
        let store = AlertStore(connection: database.connection)
        try commitBatch(evaluator, [power("ARMOIRE-A", noon, 400)], on: database.connection)
        #expect(try store.alerts().isEmpty)   // daylight: the cabinet is off or on, not judged
        try commitBatch(evaluator, [power("ARMOIRE-A", night, 250)], on: database.connection)
        let alert = try #require(try store.alerts().first)
        #expect(alert.ruleID == "armoire-surconsommation" && alert.threshold == 1.3 * 178)
        #expect(alert.message == "Armoire : puissance au-delà de ses points — Armoire A (rue des Lilas) : 250 W mesurés de nuit pour 178 W attendus "
            + "(3 points lumineux en service sur 3), soit 140\u{00A0}%, seuil 130\u{00A0}%, depuis le 12/01/2026 21:00.")
        // PL-3 (100 W) found out: the cabinet is now expected to draw 78 W; 85 W is 109 %, under the 115 % clearing level.
        try commitBatch(evaluator, [power("PL-3", night + minute, 0), power("ARMOIRE-A", night + 2 * minute, 85)], on: database.connection)
        #expect(try store.alerts().map(\.ruleID) == ["lampe-eteinte"])
        #expect(try store.alerts(in: [.resolved]).first?.resolution?.comment
            == "Puissance de l'armoire revenue à 85 W (sous 115\u{00A0}% de la puissance attendue) depuis le 12/01/2026 21:02.")
        // 130 W now (167 % of 78 W) raises again, counting 2 points of 3.
        try commitBatch(evaluator, [power("ARMOIRE-A", night + 3 * minute, 130)], on: database.connection)
        let again = try #require(try store.alerts().first { $0.ruleID == "armoire-surconsommation" })
        #expect(again.message.contains("130 W mesurés de nuit pour 78 W attendus (2 points lumineux en service sur 3), soit 167\u{00A0}%"))
    }

    @Test("a cabinet without light points of known power is not watched")
    func needsPoints() {
        let bare = [Asset(id: "ARMOIRE-B", name: "Armoire B", type: .controlCabinet, domain: .eclairage)]
        let evaluator = RuleEvaluator(rules: rules, assets: bare, timeZone: TimeZone(identifier: "Europe/Paris")!, logger: Logger(label: "test"),
                                      communeCoordinates: paris)
        #expect(!evaluator.watches(assetID: "ARMOIRE-B", metric: "power"))
    }
}
