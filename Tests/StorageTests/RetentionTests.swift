import Assets
import Foundation
import SQLiteDB
import Testing
@testable import Storage

struct RetentionTests {
    let path = NSTemporaryDirectory() + "pmc-retention-\(UUID().uuidString.prefix(8)).sqlite"
    let day: Int64 = 86_400_000
    let now: Int64 = 1_795_000_000_000

    /// Two series with one reading a day for 100 days, plus hourly/daily/monthly rollups.
    func populate(_ db: Connection) throws {
        let writer = ReadingWriter(connection: db, timeZone: TimeZone(identifier: "Europe/Paris")!)
        try writer.begin()
        for key in ["a", "b"] {
            let device = try writer.device(key: key, at: 0).record
            for age in 0..<100 {
                try writer.insertReading(device: device, metric: "energy", unit: "Wh", kind: "counter",
                                         time: now - Int64(age) * day, value: Double(10_000 - age), receivedAt: now)
            }
        }
        try writer.commit(checkpoint: nil, refreshRollups: true)
    }

    @Test("the purge deletes exactly what the policy no longer keeps, of every series")
    func purgeFollowsPolicy() throws {
        let db = try Schema.open(path: path)
        try populate(db)
        try db.run("INSERT INTO rejected_messages (received_at, subscription, topic, payload, payload_size, reason) VALUES (?, 's', 't', x'00', 1, 'r'), (?, 's', 't', x'00', 1, 'r')",
                   now - 40 * day, now - day)
        let policy = RetentionPolicy(rawDays: 30, hourlyDays: 60, dailyDays: 90, monthlyDays: 0, rejectedDays: 30)
        let deleted = try RetentionPurger(connection: db, policy: policy, chunk: 7).purgeAll(now: now)
        #expect(try db.scalarInt("SELECT count(*) FROM readings WHERE ts < ?", now - 30 * day) == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM readings") == 2 * 31)   // ages 0…30 kept
        #expect(try db.scalarInt("SELECT count(*) FROM hourly_rollups WHERE bucket_start < ?", now - 60 * day) == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM hourly_rollups") ?? 0 > 0)
        #expect(try db.scalarInt("SELECT count(*) FROM rollups WHERE period = 2 AND bucket_start < ?", now - 90 * day) == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM rollups WHERE period = 3") ?? 0 >= 8) // 2 series × ≥4 months, kept forever
        #expect(try db.scalarInt("SELECT count(*) FROM rejected_messages") == 1)
        #expect(try db.scalarInt("SELECT value FROM ingest_counters WHERE name = 'rows_purged'") == Int64(deleted))
        #expect(try db.prepare("PRAGMA integrity_check").first { $0.string(0) } == "ok")
    }

    @Test("once a series' raw readings are all purged, its latest value is the last value of its newest day")
    func latestAfterRawPurge() throws {
        let db = try Schema.open(path: path)
        try populate(db)   // the newest reading of each series: age 0, value 10,000
        let latestOfA = "SELECT l.ts, l.value FROM latest l JOIN series s ON s.id = l.series_id JOIN devices d ON d.id = s.device_id WHERE d.key = 'a'"
        #expect(try db.prepare(latestOfA).first { [Double($0.int(0)), $0.double(1)] } == [Double(now), 10_000])
        // Everything raw is gone (a purge run a day later with one day kept); days stay.
        try RetentionPurger(connection: db, policy: RetentionPolicy(rawDays: 1, hourlyDays: 0, dailyDays: 0, monthlyDays: 0, rejectedDays: 0))
            .purgeAll(now: now + 2 * day)
        #expect(try db.scalarInt("SELECT count(*) FROM measurements") == 0)
        #expect(try db.prepare(latestOfA).first { [Double($0.int(0)), $0.double(1)] } == [Double(now), 10_000])
    }

    @Test("one purge step deletes at most one chunk per kind of data")
    func stepIsBounded() throws {
        let db = try Schema.open(path: path)
        try populate(db)
        let purger = RetentionPurger(connection: db, policy: RetentionPolicy(rawDays: 1, hourlyDays: 0, dailyDays: 0, monthlyDays: 0, rejectedDays: 0), chunk: 10)
        // 10 measurements (the oldest hours, of both devices) and 10 of one device's hours.
        #expect(try purger.step(now: now) == 20)
        #expect(try db.scalarInt("SELECT count(*) FROM measurements") == 190)
        #expect(try db.scalarInt("SELECT count(*) FROM device_hours") == 190)
    }

    @Test("the database is created with incremental auto-vacuum (freed pages go back without a VACUUM), 8 KiB pages, in WAL mode")
    func incrementalAutoVacuum() throws {
        let db = try Schema.open(path: path)
        #expect(try db.scalarInt("PRAGMA auto_vacuum") == 2)
        #expect(try db.scalarInt("PRAGMA page_size") == 8192)
        #expect(try db.prepare("PRAGMA journal_mode").first { $0.string(0) } == "wal")
        let reopened = try Schema.open(path: path)
        #expect(try reopened.scalarInt("PRAGMA page_size") == 8192)
    }

    @Test("the forecast warns when the budget will be full within 30 days, not before")
    func diskForecast() throws {
        let db = try Schema.open(path: path)
        let forecast = DiskForecast(connection: db)
        let gigabyte: Int64 = 1 << 30
        var outlook: DiskOutlook?
        // 100 MiB a day over a week, from 2 GiB to 2 GiB + 700 MiB, 10 GiB budget: 7,492 MiB left / 100 MiB ≈ 74.9 days.
        for hour in stride(from: 0, through: 7 * 24, by: 6) {
            let used = 2 * gigabyte + Int64(hour) * (100 << 20) / 24
            outlook = try forecast.sample(now: now + Int64(hour) * 3_600_000, usedBytes: used, freeBytes: 100 * gigabyte, budgetBytes: 10 * gigabyte)
        }
        let slow = try #require(outlook)
        #expect(abs(slow.bytesPerDay - Double(100 << 20)) < 1_000)
        #expect(abs(slow.daysUntilFull! - 74.92) < 0.05)
        #expect(!slow.fullWithin(days: 30))
        // The same growth against 3 GiB of free disk: (3 GiB) / 100 MiB ≈ 30.7 days… then 2 GiB: ≈ 20.5 days.
        let tight = try forecast.sample(now: now + 8 * day, usedBytes: 3 * gigabyte, freeBytes: 2 * gigabyte, budgetBytes: nil)
        #expect(tight.fullWithin(days: 30))
    }
}
