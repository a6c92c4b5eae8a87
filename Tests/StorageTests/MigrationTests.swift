import Foundation
import SQLiteDB
import Testing
@testable import Storage

struct MigrationTests {
    @Test("009 packs the readings of an existing database into measurements, 011 files them by hour; the readings view returns the same rows")
    func packedMeasurementsKeepExistingReadings() throws {
        let path = NSTemporaryDirectory() + "pmc-migrate-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try Connection(path: path)
        try Schema.migrator.migrate(db, upTo: "008_rollup_backlog")
        try db.execute("INSERT INTO devices (id, key) VALUES (1, 'd1'), (2, 'd2')")
        try db.execute("INSERT INTO series (id, device_id, metric, unit, kind) VALUES (10, 1, 'a', 'x', 'gauge'), (11, 1, 'b', 'x', 'counter'), (12, 2, 'a', 'x', 'gauge')")
        var before: [[Double]] = []
        for time in stride(from: Int64(1_000), through: 50_000, by: 1_000).map({ $0 * 3_600 }) {   // 50 hours
            for series in [Int64(10), 11, 12] where !(series == 11 && time % 18_000_000 == 0) {
                let value = Double(time) / 7 + Double(series)
                try db.run("INSERT INTO readings (series_id, ts, value) VALUES (?, ?, ?)", series, time, value)
                before.append([Double(series), Double(time), value])
            }
        }
        let applied = try Schema.migrate(db)
        #expect(applied == ["009_packed_measurements", "010_latest_from_measurements", "011_measurements_by_hour", "012_hourly_rollups_by_time", "013_alerts", "014_alert_outbox", "015_alert_condition_memory", "016_alert_escalation", "017_alert_outbox_by_alert"])
        let after = try db.prepare("SELECT series_id, ts, value FROM readings ORDER BY series_id, ts").map { [Double($0.int(0)), Double($0.int(1)), $0.double(2)] }
        #expect(after == before.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) })
        #expect(try db.scalarInt("SELECT count(*) FROM measurements") == 100)   // 50 instants × 2 devices
        #expect(try db.scalarInt("SELECT count(*) FROM measurements WHERE hour != ts / 3600000") == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM device_hours") == 100)   // 50 hours × 2 devices
        let latest = try db.prepare("SELECT series_id, ts FROM latest ORDER BY series_id").map { [$0.int(0), $0.int(1)] }
        #expect(latest == [[10, 180_000_000], [11, 176_400_000], [12, 180_000_000]])   // series 11 skips every fifth hour, the last one included
    }

    @Test("012 moves the hourly rollups to their time-first table and leaves days and months in rollups")
    func hourlyRollupsMoved() throws {
        let path = NSTemporaryDirectory() + "pmc-migrate-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try Connection(path: path)
        try ReadingFunctions.register(on: db)
        try Schema.migrator.migrate(db, upTo: "011_measurements_by_hour")
        for (series, period, start) in [(Int64(1), Int64(1), Int64(3_600_000)), (1, 1, 7_200_000), (2, 1, 3_600_000), (1, 2, 0), (1, 3, 0)] {
            try db.run("INSERT INTO rollups VALUES (?, ?, ?, 2, 3.0, 1.0, 2.0, ?, 1.0, ?, 2.0, NULL)", series, period, start, start, start + 1)
        }
        #expect(try Schema.migrate(db) == ["012_hourly_rollups_by_time", "013_alerts", "014_alert_outbox", "015_alert_condition_memory", "016_alert_escalation", "017_alert_outbox_by_alert"])
        let hours = try db.prepare("SELECT bucket_start, series_id, count, sum, last_ts FROM hourly_rollups").map { [$0.int(0), $0.int(1), $0.int(2), Int64($0.double(3)), $0.int(4)] }
        #expect(hours == [[3_600_000, 1, 2, 3, 3_600_001], [3_600_000, 2, 2, 3, 3_600_001], [7_200_000, 1, 2, 3, 7_200_001]])
        #expect(try db.prepare("SELECT period FROM rollups ORDER BY period").map { $0.int(0) } == [2, 3])
    }

    @Test("015 keeps the pending and active conditions of 013 (a restart in the middle of a duration survives the upgrade)")
    func conditionsKeptByMemoryMigration() throws {
        let path = NSTemporaryDirectory() + "pmc-migrate-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try Connection(path: path)
        try Schema.migrator.migrate(db, upTo: "014_alert_outbox")
        try db.execute("""
            INSERT INTO alert_conditions (asset_id, rule_id, state, since, clearing_since, evaluated_at) VALUES
                ('ECOLE-CP', 'co2', 'pending', 1000, NULL, 2000), ('CRECHE', 'co2', 'active', 500, 1500, 2500)
            """)
        #expect(try Schema.migrate(db) == ["015_alert_condition_memory", "016_alert_escalation", "017_alert_outbox_by_alert"])
        let rows = try db.prepare("SELECT asset_id, state, since, coalesce(clearing_since, -1), evaluated_at, memory IS NULL FROM alert_conditions ORDER BY asset_id")
            .map { "\($0.string(0)) \($0.string(1)) \($0.int(2)) \($0.int(3)) \($0.int(4)) \($0.int(5))" }
        #expect(rows == ["CRECHE active 500 1500 2500 1", "ECOLE-CP pending 1000 -1 2000 1"])
        // A normal row needs no start; a pending one still does.
        try db.execute("INSERT INTO alert_conditions (asset_id, rule_id, state, evaluated_at, memory) VALUES ('M', 'r', 'normal', 1, '{}')")
        #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO alert_conditions (asset_id, rule_id, state, evaluated_at) VALUES ('M', 'x', 'pending', 1)") }
    }
}
