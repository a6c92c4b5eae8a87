import Assets
import Foundation
import SQLiteDB
import Storage
import Testing
@testable import Alerts

struct RuleBacktestTests {
    let minute: Int64 = 60_000
    let start: Int64 = 1_768_204_800_000   // 2026-01-12 08:00 UTC

    @Test("episodes: when each began, was raised and cleared, and its peak; an episode still on at the end is kept")
    func episodes() {
        let rule = AlertRuleDefinition(id: "co2", name: "CO₂", metric: "co2", assetTypes: [.room], direction: .above, level: 1_500,
                                       duration: 600, clearLevel: 1_200, clearDuration: 0)
        let readings: [(Int64, Double)] = [(0, 1_600), (10, 1_900), (20, 1_700), (30, 1_100), (40, 1_600), (45, 1_550), (50, 1_800)]
        let episodes = RuleBacktest.episodes(WatchedRule(rule), readings.map { (start + $0.0 * minute, $0.1) }, calendar: Calendar(identifier: .gregorian))
        #expect(episodes == [
            RuleBacktest.Episode(since: start, raisedAt: start + 10 * minute, clearedAt: start + 30 * minute, peak: 1_900),
            RuleBacktest.Episode(since: start + 40 * minute, raisedAt: start + 50 * minute, clearedAt: nil, peak: 1_800),
        ])
    }

    @Test("replays stored readings per asset with its overrides; another level tried gives another count; nothing is written")
    func replaysStoredReadings() throws {
        let path = NSTemporaryDirectory() + "pmc-backtest-\(UUID().uuidString.prefix(8)).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let db = try Schema.open(path: path)
        try db.execute("INSERT INTO devices (key, profile, asset_id, declared) VALUES ('capteur-cp', 'p', 'ECOLE-CP', 1), ('capteur-dortoir', 'p', 'CRECHE-DORTOIR', 1)")
        let writer = ReadingWriter(connection: db)
        try writer.begin()
        // Every 10 minutes for 6 hours: the classroom peaks at 1,600 ppm twice, the dormitory stays at 1,100.
        for step in Int64(0)..<36 {
            let time = start + step * 10 * minute
            let classroom: Double = (6...9).contains(step) || (24...27).contains(step) ? 1_600 : 900
            for (key, value) in [("capteur-cp", classroom), ("capteur-dortoir", 1_100.0)] {
                let device = try writer.device(key: key, at: time).record
                try writer.insertReading(device: device, metric: "co2", unit: "ppm", kind: "gauge", time: time, value: value, receivedAt: time)
            }
        }
        try writer.commit(checkpoint: nil, refreshRollups: true)
        let assets = [Asset(id: "ECOLE-CP", name: "CP", type: .room, domain: .batiments),
                      Asset(id: "CRECHE-DORTOIR", name: "Dortoir", type: .room, domain: .petiteEnfance),
                      Asset(id: "MAIRIE", name: "Mairie", type: .building, domain: .batiments)]
        let rule = AlertRuleDefinition(id: "co2", name: "CO₂", metric: "co2", assetTypes: [.room], direction: .above, level: 1_500,
                                       duration: 600, clearLevel: 1_000)
        let set = AlertRuleSet(rules: [rule], overrides: [AlertRuleOverride(assetID: "CRECHE-DORTOIR", ruleID: "co2", level: 1_000)])
        let backtest = RuleBacktest(rules: set, queries: GatewayQueries(connection: db))
        let results = try backtest.run(rule, assets: assets, from: start, to: start + 6 * 60 * minute)
        #expect(results.map(\.assetID) == ["ECOLE-CP", "CRECHE-DORTOIR"])   // the town hall is not a room
        #expect(results.map(\.readings) == [36, 36])
        #expect(results[0].episodes.map(\.raisedAt) == [start + 70 * minute, start + 250 * minute])
        #expect(results[1].episodes.count == 1)                               // its own level: 1,000 ppm
        var stricter = rule
        stricter.level = 1_700
        #expect(try backtest.run(stricter, assets: assets, from: start, to: start + 6 * 60 * minute)[0].episodes.isEmpty)
        #expect(try db.scalarInt("SELECT count(*) FROM alerts") == 0)
    }
}
