import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Alerts

/// Maintenance windows: a cabinet's works cover its light points; their alerts are stored but not notified while it
/// lasts, and those still unresolved at its end are notified then.
struct MaintenanceTests {
    let minute: Int64 = 60_000
    /// 2026-12-01 07:00 UTC = 08:00 in Paris.
    let eight: Int64 = 1_796_108_400_000
    let assets = [
        Asset(id: "ARMOIRE-A", name: "Armoire A", type: .controlCabinet, domain: .eclairage),
        Asset(id: "PL-1", name: "Point lumineux 1", type: .lightPoint, domain: .eclairage, parent: "ARMOIRE-A"),
        Asset(id: "SALLE", name: "Salle du conseil", type: .room, domain: .batiments),
    ]
    /// Works on cabinet A, 2026-12-01 08:00–17:00 local time.
    var works: MaintenanceWindow { MaintenanceWindow(assets: ["ARMOIRE-A"], from: 2026_12_01_0800, to: 2026_12_01_1700, reason: "Remplacement des lanternes") }

    @Test("a window covers the assets it names and their descendants, in the commune's local time")
    func covers() {
        let calendar = MaintenanceCalendar(windows: [works], assets: assets, timeZone: TimeZone(identifier: "Europe/Paris")!)
        #expect(calendar.period(of: "PL-1", at: eight)?.reason == "Remplacement des lanternes")
        #expect(calendar.period(of: "ARMOIRE-A", at: eight + 9 * 60 * minute - 1) != nil)
        #expect(calendar.period(of: "ARMOIRE-A", at: eight + 9 * 60 * minute) == nil)   // 17:00: over
        #expect(calendar.period(of: "PL-1", at: eight - 1) == nil)
        #expect(calendar.period(of: "SALLE", at: eight + minute) == nil)
    }

    @Test("alerts during the works are stored, not queued; at the end, the one still open is notified once, the one resolved meanwhile never")
    func suppressesThenNotifies() throws {
        let database = try TestDatabase()
        let db = database.connection
        let rules = AlertRuleSet(rules: [
            AlertRuleDefinition(id: "puissance", name: "Puissance", metric: "power", assetTypes: [.lightPoint, .room], direction: .above, level: 100),
        ], maintenance: [works])
        let evaluator = RuleEvaluator(rules: rules, assets: assets, timeZone: TimeZone(identifier: "Europe/Paris")!, logger: Logger(label: "test"),
                                      channels: ["astreinte"])
        func power(_ asset: String, _ time: Int64, _ watts: Double) -> ObservedReading {
            ObservedReading(assetID: asset, deviceKey: asset, metric: "power", unit: "W", time: time, value: watts)
        }
        // 09:00: the light point (under works) and the room (not) both above.
        try commitBatch(evaluator, [power("PL-1", eight + 60 * minute, 150), power("SALLE", eight + 60 * minute, 150)], on: db)
        let store = AlertStore(connection: db, channels: ["astreinte"])
        #expect(try store.alerts().count == 2)
        #expect(try db.scalarInt("SELECT count(*) FROM alert_outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.asset_id = 'PL-1'") == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM alert_outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.asset_id = 'SALLE'") == 1)

        let monitor = MaintenanceMonitor(calendar: MaintenanceCalendar(windows: [works], assets: assets, timeZone: TimeZone(identifier: "Europe/Paris")!))
        #expect(try monitor.evaluate(db: db, channels: ["astreinte"], now: eight + 8 * 60 * minute).isEmpty)   // 16:00: still on
        let notified = try monitor.evaluate(db: db, channels: ["astreinte"], now: eight + 9 * 60 * minute)
        #expect(notified.map(\.assetID) == ["PL-1"])
        #expect(try monitor.evaluate(db: db, channels: ["astreinte"], now: eight + 10 * 60 * minute).isEmpty)   // once
        #expect(try db.scalarInt("SELECT count(*) FROM alert_outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.asset_id = 'PL-1' AND o.event = 'opened'") == 1)

        // Another day's works: the room's alert, notified yesterday, still has its resolution told; an alert opened and
        // resolved within the works is never notified.
        let nextDay = MaintenanceWindow(assets: ["SALLE"], from: 2026_12_02_0800, to: 2026_12_02_1200)
        let evaluator2 = RuleEvaluator(rules: AlertRuleSet(rules: rules.rules, maintenance: [nextDay]), assets: assets,
                                       timeZone: TimeZone(identifier: "Europe/Paris")!, logger: Logger(label: "test"), channels: ["astreinte"])
        let day2 = eight + 24 * 60 * minute
        try commitBatch(evaluator2, [power("SALLE", day2 + 30 * minute, 20)], on: db)
        try commitBatch(evaluator2, [power("SALLE", day2 + 60 * minute, 200), power("SALLE", day2 + 90 * minute, 20)], on: db)
        let monitor2 = MaintenanceMonitor(calendar: MaintenanceCalendar(windows: [nextDay], assets: assets, timeZone: TimeZone(identifier: "Europe/Paris")!))
        #expect(try monitor2.evaluate(db: db, channels: ["astreinte"], now: day2 + 5 * 60 * minute).isEmpty)
        let events = try db.prepare("SELECT o.event FROM alert_outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.asset_id = 'SALLE' ORDER BY o.id")
            .map { $0.string(0) }
        #expect(events == ["opened", "resolved"])
        #expect(try store.alerts(in: [.resolved]).filter { $0.assetID == "SALLE" }.count == 2)
    }
}
