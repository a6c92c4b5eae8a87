import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Alerts

/// Night flow on a water sector's counter: readings every 15 minutes, hand-computed flows, nights in the commune's
/// calendar (Europe/Paris) including the two DST nights of 2026. Every batch runs on a new evaluator: what a night
/// has measured so far must come back from the database, as after a restart.
struct NightFlowRuleTests {
    let hour: Int64 = 3_600_000
    let sector = Asset(id: "SECTEUR-NORD", name: "Secteur Nord", type: .waterSector, domain: .eau)
    let rule = AlertRuleDefinition(id: "fuite-nocturne", name: "Débit de nuit élevé", metric: "water_volume", kind: .nightFlow,
                                   window: .init(from: 120, to: 240), nights: 2, assetTypes: [.waterSector], direction: .above,
                                   level: 20, clearLevel: 10)

    /// One day of index readings every 15 minutes from `dayStart` (UTC midnight), the flow in L/h given per UTC hour;
    /// the index goes on from `index`.
    func day(_ dayStart: Int64, from index: inout Double, flow: (Int) -> Double) -> [ObservedReading] {
        (0..<96).map { quarter in
            let time = dayStart + Int64(quarter) * hour / 4
            index += flow(quarter / 4) / 4
            return ObservedReading(assetID: "SECTEUR-NORD", deviceKey: "compteur", metric: "water_volume", unit: "L", time: time + hour / 4, value: index)
        }
    }

    func batch(_ readings: [ObservedReading], on db: Connection) throws {
        let evaluator = RuleEvaluator(rules: AlertRuleSet(rules: [rule]), assets: [sector], timeZone: TimeZone(identifier: "Europe/Paris")!,
                                      logger: Logger(label: "test"))
        try db.execute("BEGIN IMMEDIATE")
        try evaluator.batchWillCommit(readings, db: db)
        try db.execute("COMMIT")
        evaluator.batchDidCommit()
    }

    /// A water network: 400 L/h by day, `night` L/h from 00:00 to 05:00 UTC (01:00–06:00 in winter).
    func network(night: Double) -> (Int) -> Double { { $0 < 5 ? night : 400 } }

    let january12: Int64 = 1_768_176_000_000   // 2026-01-12 00:00 UTC

    @Test("a leak of 30 L/h seen between 02:00 and 04:00 two nights running raises, with the lowest flow and the first night; a night at 4 L/h clears")
    func twoNightsRunning() throws {
        let database = try TestDatabase()
        let store = AlertStore(connection: database.connection)
        var index = 1_000_000.0
        try batch(day(january12, from: &index, flow: network(night: 30)), on: database.connection)
        #expect(try store.alerts().isEmpty)   // one night only
        try batch(day(january12 + 24 * hour, from: &index, flow: network(night: 35)), on: database.connection)
        let alert = try #require(try store.alerts().first)
        // The first night's window began 2026-01-12 02:00 CET; the second night ended at 04:00 CET (03:00 UTC) on the 13th.
        #expect(alert.since == january12 + 1 * hour && alert.raisedAt == january12 + 27 * hour)
        #expect(alert.value == 35 && alert.threshold == 20)
        #expect(alert.message == "Débit de nuit élevé — Secteur Nord : débit minimal de 35 L/h entre 02:00 et 04:00, 2 nuits de suite "
            + "(seuil 20 L/h), depuis la nuit du 12/01/2026 : fuite ?")
        // Daytime draws (400 L/h) never count; a night at 15 L/h is between the levels: still raised.
        try batch(day(january12 + 48 * hour, from: &index, flow: network(night: 15)), on: database.connection)
        #expect(try store.alerts().count == 1)
        try batch(day(january12 + 72 * hour, from: &index, flow: network(night: 4)), on: database.connection)
        #expect(try store.alerts().isEmpty)
        #expect(try store.alerts(in: [.resolved]).first?.resolution?.comment == "Débit minimal de nuit revenu à 4 L/h (sous 10 L/h) la nuit du 15/01/2026.")
    }

    @Test("one night above, a normal night, a night above again: never two running, no alert")
    func interruptedNights() throws {
        let database = try TestDatabase()
        var index = 0.0
        for (offset, night) in [(0, 30.0), (24, 2.0), (48, 30.0)] {
            try batch(day(january12 + Int64(offset) * hour, from: &index, flow: network(night: night)), on: database.connection)
        }
        #expect(try AlertStore(connection: database.connection).alerts().isEmpty)
    }

    @Test("the lowest flow is the window's: 30 L/h all night but one quarter at 0 between 02:00 and 04:00 is a normal night")
    func lowestWithinWindow() throws {
        let database = try TestDatabase()
        var index = 0.0
        try batch(day(january12, from: &index, flow: network(night: 30)), on: database.connection)
        // 02:00 UTC = 03:00 CET: inside the window. Flow zero for that hour only.
        try batch(day(january12 + 24 * hour, from: &index, flow: { $0 == 2 ? 0 : $0 < 5 ? 30 : 400 }), on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().isEmpty)
        // Zero at 04:00 UTC (05:00 CET), outside the window: the night counts as above.
        try batch(day(january12 + 48 * hour, from: &index, flow: { $0 == 4 ? 0 : $0 < 5 ? 30 : 400 }), on: database.connection)
        try batch(day(january12 + 72 * hour, from: &index, flow: { $0 == 4 ? 0 : $0 < 5 ? 30 : 400 }), on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().count == 1)
    }

    @Test("clocks forward (2026-03-29): 02:00–04:00 is 01:00–02:00 UTC, one hour; a flow of zero from 02:00 UTC is after the window")
    func springForwardNight() throws {
        let database = try TestDatabase()
        let march28: Int64 = 1_774_656_000_000   // 2026-03-28 00:00 UTC
        var index = 0.0
        try batch(day(march28, from: &index, flow: network(night: 30)), on: database.connection)
        // The DST night: 30 L/h from 01:00 to 02:00 UTC (03:00–04:00 CEST), nothing from 02:00 UTC.
        try batch(day(march28 + 24 * hour, from: &index, flow: { $0 == 1 ? 30 : $0 < 5 ? 0 : 400 }), on: database.connection)
        let alert = try #require(try AlertStore(connection: database.connection).alerts().first)
        #expect(alert.raisedAt == march28 + 26 * hour && alert.value == 30)
        #expect(WatchedRule.night(containing: march28 + 25 * hour, window: rule.window!, calendar: Self.paris)! == (march28 + 25 * hour, march28 + 26 * hour))
    }

    @Test("clocks back (2026-10-25): 02:00–04:00 is 00:00–03:00 UTC, three hours; a zero flow from 02:00 UTC is within it")
    func fallBackNight() throws {
        let database = try TestDatabase()
        let october24: Int64 = 1_792_800_000_000   // 2026-10-24 00:00 UTC
        var index = 0.0
        try batch(day(october24, from: &index, flow: network(night: 30)), on: database.connection)
        try batch(day(october24 + 24 * hour, from: &index, flow: { $0 == 2 ? 0 : $0 < 5 ? 30 : 400 }), on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().isEmpty)
        #expect(WatchedRule.night(containing: october24 + 24 * hour, window: rule.window!, calendar: Self.paris)! == (october24 + 24 * hour, october24 + 27 * hour))
        // The night before (summer time): 00:00–02:00 UTC.
        #expect(WatchedRule.night(containing: october24 + 1 * hour, window: rule.window!, calendar: Self.paris)! == (october24, october24 + 2 * hour))
    }

    @Test("a window past midnight (23:00–05:00) belongs to the night it began; a counter going back is not a flow")
    func windowPastMidnightAndReset() {
        let window = AlertRuleDefinition.DailyWindow(from: 23 * 60, to: 5 * 60)
        // 2026-01-13 03:00 UTC = 04:00 CET: in the night that began on the 12th at 23:00 CET (22:00 UTC).
        #expect(WatchedRule.night(containing: january12 + 27 * hour, window: window, calendar: Self.paris)! == (january12 + 22 * hour, january12 + 28 * hour))
        #expect(WatchedRule.night(containing: january12 + 12 * hour, window: window, calendar: Self.paris) == nil)
        let watched = WatchedRule(rule)
        var memory = ReadingMemory(previous: .init(time: january12 + hour, value: 500))
        memory = watched.stepNightFlow(.normal, time: january12 + hour + hour / 4, value: 3, memory: memory, calendar: Self.paris).1
        #expect(memory.nightMinimum == nil && memory.previous?.value == 3)
    }

    static let paris: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        return calendar
    }()
}
