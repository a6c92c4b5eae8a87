import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Alerts

/// Rules judged by occupancy (heating set-backs of the code de l'énergie) and by weekly hours, on a school's
/// calendar: lessons Monday, Tuesday, Thursday and Friday, closed on Wednesday and over the Christmas holidays.
struct ScheduleRuleTests {
    let hour: Int64 = 3_600_000
    let minute: Int64 = 60_000
    /// 2027-01-08 00:00 UTC, a Friday (01:00 in Paris, winter time).
    let friday: Int64 = 1_799_366_400_000
    let school = OccupancyCalendar(id: "ecole", hours: [
        1: [.init(from: 500, to: 710), .init(from: 810, to: 990)], 2: [.init(from: 500, to: 710), .init(from: 810, to: 990)],
        4: [.init(from: 500, to: 710), .init(from: 810, to: 990)], 5: [.init(from: 500, to: 710), .init(from: 810, to: 990)],
    ], closures: [.init(from: 2026_12_19, to: 2027_01_03, reason: "Vacances de Noël")])
    let building = Asset(id: "ECOLE", name: "École Jules Ferry", type: .building, domain: .batiments, address: "2 rue des Écoles",
                         attributes: ["calendar": .text("ecole")])
    let classroom = Asset(id: "ECOLE-CP", name: "Classe de CP", type: .room, domain: .batiments, parent: "ECOLE")
    let townHall = Asset(id: "MAIRIE-SALLE", name: "Salle du conseil", type: .room, domain: .batiments)

    static let paris: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        return calendar
    }()

    /// Local (Paris, UTC+1 in January) time on a day counted from Friday 2027-01-08.
    func local(day: Int64, _ hours: Int64, _ minutes: Int64 = 0) -> Int64 {
        friday + day * 24 * hour + (hours - 1) * hour + minutes * minute
    }

    @Test("occupancy: in a lesson, at lunch, on Wednesday, at the weekend, and after the Christmas holidays")
    func occupancyClock() {
        let clock = OccupancyClock(calendar: school, clock: Self.paris)
        #expect(clock.emptySince(local(day: -1, 10)) == nil)                                   // Thursday 10:00
        #expect(clock.emptySince(local(day: -1, 12, 30)) == local(day: -1, 11, 50))            // Thursday lunch
        #expect(clock.emptySince(local(day: -2, 10)) == local(day: -3, 16, 30))                // Wednesday: since Tuesday
        #expect(clock.emptySince(local(day: 1, 10)) == local(day: 0, 16, 30))                  // Saturday: since Friday
        // Monday 2027-01-04 07:00, before the first lesson after the holidays: empty since Friday 2026-12-18 16:30.
        #expect(clock.emptySince(local(day: -4, 7)) == local(day: -21, 16, 30))
    }

    let heating = [
        AlertRuleDefinition(id: "chauffage-occupe", name: "Chauffage au-dessus de 19 °C en période d'occupation", metric: "temperature",
                            schedule: RuleSchedule(occupancy: .occupied), assetTypes: [.room], direction: .above, level: 19, duration: 3_600,
                            clearLevel: 19, clearDuration: 0),
        AlertRuleDefinition(id: "chauffage-inoccupe-24h", name: "Chauffage au-dessus de 16 °C, bâtiment inoccupé depuis 24 à 48 h",
                            metric: "temperature", schedule: RuleSchedule(occupancy: .unoccupied(atLeast: 86_400, lessThan: 172_800)),
                            assetTypes: [.room], direction: .above, level: 16, duration: 3_600, clearLevel: 16, clearDuration: 0),
        AlertRuleDefinition(id: "chauffage-inoccupe-48h", name: "Chauffage au-dessus de 8 °C, bâtiment inoccupé depuis plus de 48 h",
                            metric: "temperature", schedule: RuleSchedule(occupancy: .unoccupied(atLeast: 172_800, lessThan: nil)),
                            assetTypes: [.room], direction: .above, level: 8, duration: 3_600, clearLevel: 8, clearDuration: 0),
    ]

    func evaluator(_ rules: [AlertRuleDefinition]) -> RuleEvaluator {
        RuleEvaluator(rules: AlertRuleSet(rules: rules, calendars: ["ecole": school]), assets: [building, classroom, townHall],
                      timeZone: TimeZone(identifier: "Europe/Paris")!, logger: Logger(label: "test"))
    }

    func temperature(_ time: Int64, _ value: Double, asset: String = "ECOLE-CP") -> ObservedReading {
        ObservedReading(assetID: asset, deviceKey: "sonde", metric: "temperature", unit: "°C", time: time, value: value)
    }

    func batch(_ evaluator: RuleEvaluator, _ readings: [ObservedReading], on db: Connection) throws {
        try commitBatch(evaluator, readings, on: db)
    }

    @Test("heating over a weekend: 19 °C in lessons, 16 °C from 24 to 48 h empty, 8 °C beyond; each alert ends with its period")
    func heatingSetBacks() throws {
        let database = try TestDatabase()
        let evaluator = evaluator(heating)
        let store = AlertStore(connection: database.connection)
        #expect(evaluator.watches(assetID: "ECOLE-CP", metric: "temperature"))
        #expect(!evaluator.watches(assetID: "MAIRIE-SALLE", metric: "temperature"))   // no calendar: not watched
        // Friday afternoon lessons at 21 °C for an hour.
        try batch(evaluator, [temperature(local(day: 0, 14), 21), temperature(local(day: 0, 15), 21.2)], on: database.connection)
        let occupied = try #require(try store.alerts().first)
        #expect(occupied.ruleID == "chauffage-occupe" && occupied.since == local(day: 0, 14) && occupied.threshold == 19)
        // 17:00: the school is empty since 16:30; the lesson-time alert ends, whatever the temperature.
        try batch(evaluator, [temperature(local(day: 0, 17), 21)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        let ended = try #require(try store.alerts(in: [.resolved]).first)
        #expect(ended.resolution?.comment == "Fin de la période surveillée (bâtiment occupé) le 08/01/2027 17:00.")
        // Saturday 17:00 and 18:00 (24.5 and 25.5 h empty) at 18 °C: over the 16 °C set-back for an hour.
        try batch(evaluator, [temperature(local(day: 1, 10), 18), temperature(local(day: 1, 17), 18), temperature(local(day: 1, 18), 18)],
                  on: database.connection)
        let weekend = try #require(try store.alerts().first)
        #expect(weekend.ruleID == "chauffage-inoccupe-24h" && weekend.since == local(day: 1, 17))
        // Sunday 17:00 (48.5 h): the 24–48 h alert ends; the 8 °C rule judges from now.
        try batch(evaluator, [temperature(local(day: 2, 17), 18), temperature(local(day: 2, 18), 17.5)], on: database.connection)
        let long = try #require(try store.alerts().first)
        #expect(try store.alerts().count == 1)
        #expect(long.ruleID == "chauffage-inoccupe-48h" && long.since == local(day: 2, 17) && long.threshold == 8)
        #expect(try store.alerts(in: [.resolved]).map(\.ruleID).sorted() == ["chauffage-inoccupe-24h", "chauffage-occupe"])
        // Monday 08:20, lessons again at 18.5 °C: the set-back alert ends, the 19 °C rule is satisfied.
        try batch(evaluator, [temperature(local(day: 3, 8, 30), 18.5)], on: database.connection)
        #expect(try store.alerts().isEmpty)
        #expect(try store.alerts(in: [.resolved]).first { $0.ruleID == "chauffage-inoccupe-48h" }?.resolution?.comment
            == "Fin de la période surveillée (bâtiment inoccupé depuis plus de 48 h) le 11/01/2027 08:30.")
    }

    @Test("weekly hours on the rule itself: weekdays 08:00–18:00 only; a Saturday reading is not judged")
    func ruleHours() throws {
        let database = try TestDatabase()
        let rule = AlertRuleDefinition(id: "co2-horaires", name: "CO₂", metric: "co2", schedule: RuleSchedule(days: [1, 2, 3, 4, 5],
                                       hours: .init(from: 8 * 60, to: 18 * 60)), assetTypes: [.room], direction: .above, level: 1_500)
        let evaluator = evaluator([rule])
        let co2 = { (time: Int64, value: Double) in
            ObservedReading(assetID: "MAIRIE-SALLE", deviceKey: "sonde", metric: "co2", unit: "ppm", time: time, value: value)
        }
        // A town-hall room without a calendar: hours on the rule need none.
        try batch(evaluator, [co2(local(day: 1, 10), 2_000), co2(local(day: 0, 19), 2_000)], on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().isEmpty)
        try batch(evaluator, [co2(local(day: 3, 10), 2_000)], on: database.connection)
        #expect(try AlertStore(connection: database.connection).alerts().count == 1)
    }
}
