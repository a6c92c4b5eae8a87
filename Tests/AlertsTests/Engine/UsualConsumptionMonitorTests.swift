import Assets
import Foundation
import SQLiteDB
import Storage
import Testing
@testable import Alerts

/// A town-hall meter with nine weeks of hourly indexes (in Wh, as a Linky reports them), its days judged against
/// the same weekdays before them — across the October DST change, on the commune's calendar.
struct UsualConsumptionMonitorTests {
    let townHall = Asset(id: "MAIRIE", name: "Mairie", type: .electricityMeter, domain: .energie, address: "1 place de la Mairie")
    let rule = AlertRuleDefinition(id: "conso-inhabituelle", name: "Consommation inhabituelle", metric: "energy_import",
                                   kind: .consumptionAboveUsual, assetTypes: [.electricityMeter], direction: .above, level: 0.5)
    static let paris: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        return calendar
    }()

    func instant(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Int64 {
        Int64(Self.paris.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!.timeIntervalSince1970 * 1000)
    }

    /// Indexes every hour at :30 from 2026-09-28 to 2026-12-02, each day's consumption drawn between 08:30 and 18:30.
    func store(daily consumption: (Date) -> Double, on db: Connection) throws {
        try db.execute("INSERT INTO devices (key, profile, asset_id, declared) VALUES ('linky-mairie', 'p', 'MAIRIE', 1)")
        let writer = ReadingWriter(connection: db, timeZone: TimeZone(identifier: "Europe/Paris")!)
        try writer.begin()
        var index = 10_000_000.0
        var day = Self.paris.date(from: DateComponents(year: 2026, month: 9, day: 28))!
        let last = Self.paris.date(from: DateComponents(year: 2026, month: 12, day: 3))!
        while day < last {
            let perHour = consumption(day) / 10
            for hour in 0..<24 {
                let time = Self.paris.date(bySettingHour: hour, minute: 30, second: 0, of: day)!
                if (9...18).contains(hour) { index += perHour }
                let ms = Int64(time.timeIntervalSince1970 * 1000)
                let device = try writer.device(key: "linky-mairie", at: ms).record
                try writer.insertReading(device: device, metric: "energy_import", unit: "Wh", kind: "counter", time: ms, value: index, receivedAt: ms)
            }
            day = Self.paris.date(byAdding: .day, value: 1, to: day)!
        }
        try writer.commit(checkpoint: nil, refreshRollups: true)
    }

    @Test("p95 of 8 values, interpolated between the closest ranks")
    func percentile() {
        #expect(abs(UsualConsumptionMonitor.percentile([90, 95, 100, 105, 110, 98, 102, 108], 95) - 109.3) < 1e-9)
        #expect(UsualConsumptionMonitor.percentile([50, 50, 50, 50], 95) == 50)
    }

    @Test("Tuesday 2026-12-01 at 150 kWh against its 8 previous Tuesdays (p95 109.3 kWh) raises, in French with kWh; the normal Wednesday after resolves it; each day is judged once")
    func aboveItsUsualTuesdays() throws {
        let database = try TestDatabase()
        let db = database.connection
        let tuesdays: [Double] = [90, 95, 100, 105, 110, 98, 102, 108]   // kWh, the 8 Tuesdays from 2026-10-06
        try store(daily: { date in
            let parts = Self.paris.dateComponents([.month, .day, .weekday], from: date)
            guard parts.weekday == 3 else { return 50_000 }
            if parts.month == 12, parts.day == 1 { return 150_000 }
            let week = Int(date.timeIntervalSince(Self.paris.date(from: DateComponents(year: 2026, month: 10, day: 6))!) / 86_400 / 7)
            return (0..<8).contains(week) ? tuesdays[week] * 1_000 : 100_000
        }, on: db)
        let monitor = UsualConsumptionMonitor(rules: AlertRuleSet(rules: [rule]), assets: [townHall], timeZone: TimeZone(identifier: "Europe/Paris")!)
        let store = AlertStore(connection: db)
        // Before 02:00 on the 2nd the 1st is not judged yet (late readings); the 30th of November is: a normal Monday.
        #expect(try monitor.evaluate(db: db, channels: [], now: instant(2026, 12, 2, 1)).isEmpty)
        let raised = try monitor.evaluate(db: db, channels: [], now: instant(2026, 12, 2, 3))
        let alert = try #require(raised.first)
        #expect(raised.count == 1 && alert.since == instant(2026, 12, 1) && alert.value == 150_000)
        #expect(abs((alert.threshold ?? 0) - 109_300) < 1e-6)
        #expect(alert.message == "Consommation inhabituelle — Mairie (1 place de la Mairie) : 150 kWh le mardi 01/12/2026, au-dessus du "
            + "95e centile des 8 mardis précédents (109,3 kWh).")
        #expect(try monitor.evaluate(db: db, channels: [], now: instant(2026, 12, 2, 12)).isEmpty)   // judged once
        let resolved = try monitor.evaluate(db: db, channels: [], now: instant(2026, 12, 3, 3))
        #expect(resolved.map(\.state) == [.resolved])
        #expect(try store.alerts(in: [.resolved]).first?.resolution?.comment
            == "Consommation revenue à 50 kWh le mercredi 02/12/2026, sous son niveau habituel (50 kWh).")
    }

    @Test("the back-test replays the days as the monitor judges them: one episode, Tuesday 1st, cleared on the 2nd")
    func backtest() throws {
        let database = try TestDatabase()
        try store(daily: { date in
            let parts = Self.paris.dateComponents([.month, .day], from: date)
            return parts.month == 12 && parts.day == 1 ? 150_000 : 50_000
        }, on: database.connection)
        let backtest = RuleBacktest(rules: AlertRuleSet(rules: [rule]), queries: GatewayQueries(connection: database.connection))
        let results = try backtest.run(rule, assets: [townHall], from: instant(2026, 11, 1), to: instant(2026, 12, 3))
        let episodes = try #require(results.first).episodes
        #expect(episodes == [RuleBacktest.Episode(since: instant(2026, 12, 1), raisedAt: instant(2026, 12, 1), clearedAt: instant(2026, 12, 2), peak: 150_000)])
    }

    @Test("with fewer than 4 of the same weekdays stored, there is no usual level: nothing is judged")
    func needsHistory() throws {
        let database = try TestDatabase()
        try store(daily: { _ in 50_000 }, on: database.connection)
        let short = AlertRuleDefinition(id: "r", name: "R", metric: "energy_import", kind: .consumptionAboveUsual, assetTypes: [.electricityMeter],
                                        direction: .above, level: 0.5)
        var rules = AlertRuleSet(rules: [short])
        rules.rules[0].weeks = 3
        let monitor = UsualConsumptionMonitor(rules: rules, assets: [townHall], timeZone: TimeZone(identifier: "Europe/Paris")!)
        #expect(try monitor.evaluate(db: database.connection, channels: [], now: instant(2026, 12, 2, 3)).isEmpty)
        #expect(try AlertStore(connection: database.connection).alerts(in: [.open, .resolved]).isEmpty)
    }
}
