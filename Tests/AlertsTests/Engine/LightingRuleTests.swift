import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Alerts

/// Street-lighting rules judged against each point's nominal power and the sun, on the winter solstice in Paris
/// (sunset 16:56 CET, sunrise 08:42 CET the next morning; 2026-12-21).
struct LightingRuleTests {
    let minute: Int64 = 60_000
    let point = Asset(id: "EP-01-001", name: "Place de la Mairie — point 1", type: .lightPoint, domain: .eclairage,
                      address: "1 place de la Mairie", coordinates: Coordinates(latitude: 48.8566, longitude: 2.3522),
                      attributes: ["nominal_power_w": .number(39)])
    let unmeasured = Asset(id: "EP-01-002", name: "Point 2", type: .lightPoint, domain: .eclairage)

    func utc(_ text: String) -> Int64 { Int64(ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970 * 1000) }

    func rule(_ kind: AlertRuleDefinition.Kind, share: Double, window: AlertRuleDefinition.DailyWindow? = nil) -> AlertRuleDefinition {
        AlertRuleDefinition(id: kind.rawValue, name: kind == .lampOut ? "Point lumineux éteint la nuit" : kind == .dayBurner ? "Point lumineux allumé le jour" : "Point lumineux allumé pendant l'extinction",
                            metric: "power", kind: kind, window: window, assetTypes: [.lightPoint],
                            direction: kind == .lampOut ? .below : .above, level: share, duration: 1_800)
    }

    /// Runs readings (UTC time, watts) of the point through an evaluator of `rules`, one batch each; returns the alerts.
    func run(_ rules: [AlertRuleDefinition], _ readings: [(String, Double)]) throws -> [Alert] {
        let database = try TestDatabase()
        let evaluator = RuleEvaluator(rules: AlertRuleSet(rules: rules), assets: [point, unmeasured], timeZone: TimeZone(identifier: "Europe/Paris")!,
                                      logger: Logger(label: "test"))
        for (time, watts) in readings {
            try database.connection.transaction {
                try evaluator.batchWillCommit([ObservedReading(assetID: point.id, deviceKey: "noeud-1", metric: "power", unit: "W",
                                                               time: utc(time), value: watts)], db: database.connection)
            }
            evaluator.batchDidCommit()
        }
        return try AlertStore(connection: database.connection).alerts(in: Set(AlertState.allCases))
    }

    @Test("lamp out: under 30 % of 39 W for 30 min at night raises; daylight readings neither raise nor clear; the next night, lit again, clears")
    func lampOut() throws {
        let alerts = try run([rule(.lampOut, share: 0.3)], [
            ("2026-12-21T15:30:00Z", 0),    // 16:30 CET, before sunset: not judged
            ("2026-12-21T17:00:00Z", 2),    // 18:00 CET, night: out
            ("2026-12-21T17:30:00Z", 2),    // 30 min later: raised
            ("2026-12-22T11:00:00Z", 0),    // noon: off, as it should be — not judged, still open
            ("2026-12-22T17:00:00Z", 38),   // next night, lit
            ("2026-12-22T17:30:00Z", 38),   // lit for 30 min: cleared
        ])
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.since == utc("2026-12-21T17:00:00Z") && alert.raisedAt == utc("2026-12-21T17:30:00Z"))
        #expect(abs((alert.threshold ?? 0) - 11.7) < 1e-9 && alert.value == 2)
        #expect(alert.message == "Point lumineux éteint la nuit — Place de la Mairie — point 1 (1 place de la Mairie) : 2 W de nuit pour 39 W nominaux (seuil 11,7 W), depuis le 21/12/2026 18:00.")
        #expect(alert.state == .resolved && alert.resolution?.at == utc("2026-12-22T17:30:00Z"))
    }

    @Test("day burner: over 10 % of nominal in daylight for 30 min raises; lit at night is not judged")
    func dayBurner() throws {
        let alerts = try run([rule(.dayBurner, share: 0.1)], [
            ("2026-12-21T20:00:00Z", 38), ("2026-12-21T21:00:00Z", 38),   // night: lit, as it should be
            ("2026-12-22T10:00:00Z", 38), ("2026-12-22T10:30:00Z", 38),   // 11:00–11:30 CET, sun up
        ])
        #expect(alerts.map(\.since) == [utc("2026-12-22T10:00:00Z")])
        #expect(alerts.first?.message.contains("38 W en plein jour pour 39 W nominaux (seuil 3,9 W)") == true)
    }

    @Test("lit during the switch-off hours (23:00–05:00 local), not before")
    func litDuringSwitchOff() throws {
        let window = AlertRuleDefinition.DailyWindow(from: 23 * 60, to: 5 * 60)
        let alerts = try run([rule(.litDuringSwitchOff, share: 0.1, window: window)], [
            ("2026-12-21T21:00:00Z", 38), ("2026-12-21T21:45:00Z", 38),   // 22:00 and 22:45 CET: allowed
            ("2026-12-21T22:10:00Z", 38), ("2026-12-21T22:40:00Z", 38),   // 23:10 and 23:40 CET: should be off
        ])
        #expect(alerts.map(\.since) == [utc("2026-12-21T22:10:00Z")])
        #expect(alerts.first?.message.contains("pendant l'extinction nocturne (23:00–05:00)") == true)
        #expect(window.contains(minuteOfDay: 4 * 60 + 59) && !window.contains(minuteOfDay: 5 * 60) && !window.contains(minuteOfDay: 22 * 60 + 59))
    }

    @Test("a point without nominal power is not watched by the lighting rules")
    func needsNominalPower() {
        let evaluator = RuleEvaluator(rules: AlertRuleSet(rules: [rule(.lampOut, share: 0.3)]), assets: [point, unmeasured],
                                      timeZone: TimeZone(identifier: "Europe/Paris")!, logger: Logger(label: "test"))
        #expect(evaluator.watches(assetID: "EP-01-001", metric: "power"))
        #expect(!evaluator.watches(assetID: "EP-01-002", metric: "power"))
    }
}
