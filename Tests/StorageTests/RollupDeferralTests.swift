import Foundation
import SQLiteDB
import Testing
@testable import Storage

/// Hourly rollups deferred while a backlog drains, and the recovery that makes the deferral safe.
struct RollupDeferralTests {
    let paris = TimeZone(identifier: "Europe/Paris")!
    let path = NSTemporaryDirectory() + "pmc-deferral-\(UUID().uuidString.prefix(8)).sqlite"
    /// 2026-01-15 00:00 in Paris.
    let midnight: Int64 = 1_768_431_600_000
    let minute: Int64 = 60_000

    /// A writer whose hours are written once an hour (unless `hourFlushIntervalMs`) and whose days refresh `slice` at a time.
    func writer(_ db: Connection, slice: Int = 500, refreshIntervalMs: Int64 = 0, hourFlushIntervalMs: Int64 = 3_600_000) -> ReadingWriter {
        ReadingWriter(connection: db, rollups: RollupAccumulator(calendar: CommuneCalendar(timeZone: paris), refreshIntervalMs: refreshIntervalMs,
                                                                 hourFlushIntervalMs: hourFlushIntervalMs, refreshSlice: slice, sliceSpacing: 0))
    }

    /// One batch: one reading per device, at `time`.
    func batch(_ writer: ReadingWriter, devices: [String], kind: String, time: Int64, value: (String) -> Double, underLoad: Bool) throws {
        try writer.begin()
        for key in devices {
            let device = try writer.device(key: key, at: time).record
            try writer.insertReading(device: device, metric: "m", unit: "Wh", kind: kind, time: time, value: value(key), receivedAt: time)
        }
        try writer.commit(checkpoint: nil, underLoad: underLoad)
    }

    /// (count, sum, min, max, first, last, consumption) of each hourly rollup, by device and hour.
    func hours(_ db: Connection) throws -> [String] {
        try db.prepare("""
            SELECT d.key, r.bucket_start, r.count, r.sum, r.min, r.max, r.first_value, r.last_value, r.consumption
            FROM hourly_rollups r JOIN series s ON s.id = r.series_id JOIN devices d ON d.id = s.device_id
            ORDER BY d.key, r.bucket_start
            """).map { "\($0.string(0)) \($0.int(1)) \($0.int(2)) \($0.double(3)) \($0.double(4)) \($0.double(5)) \($0.double(6)) \($0.double(7)) \($0.optionalDouble(8).map { "\($0)" } ?? "-")" }
    }

    func dayCount(_ db: Connection) throws -> Int64? {
        try db.scalarInt("SELECT sum(count) FROM rollups WHERE period = 2")
    }

    @Test("under load, hours wait in memory, listed in rollup_backlog, and are written exactly once")
    func hoursWaitUnderLoad() throws {
        let db = try Schema.open(path: path)
        let writer = writer(db)
        let devices = ["a", "b", "c"]
        // Under load a series' newest hour waits for the series to move on (the first flush writes nothing).
        for step in 0..<6 {
            try batch(writer, devices: devices, kind: "gauge", time: midnight + Int64(step) * 10 * minute, value: { _ in Double(step) }, underLoad: true)
        }
        #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog")! >= 1)
        #expect(try db.scalarInt("SELECT count(*) FROM hourly_rollups") == 0)
        try writer.refreshPendingRollups()
        #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog") == 0)
        #expect(try hours(db) == devices.map { "\($0) \(midnight) 6 15.0 0.0 5.0 0.0 5.0 -" })
        #expect(try dayCount(db) == 18)
    }

    @Test("under load, an hour is written once the series has moved on to the next; the newest waits, listed")
    func newestHourWaitsUnderLoad() throws {
        let db = try Schema.open(path: path)
        let writer = writer(db, hourFlushIntervalMs: 0)
        for (step, minutes) in [0, 10, 60, 70].enumerated() {
            try batch(writer, devices: ["a", "b"], kind: "counter", time: midnight + Int64(minutes) * minute, value: { _ in Double(step * 5) }, underLoad: true)
        }
        // 00:00 and 00:10 written once (when 01:00 arrived); 01:00 and 01:10 still in memory, listed for recovery.
        #expect(try hours(db) == ["a \(midnight) 2 5.0 0.0 5.0 0.0 5.0 5.0", "b \(midnight) 2 5.0 0.0 5.0 0.0 5.0 5.0"])
        #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog WHERE period = 1")! >= 1)
        try writer.refreshPendingRollups()
        #expect(try hours(db) == ["a \(midnight) 2 5.0 0.0 5.0 0.0 5.0 5.0", "a \(midnight + 60 * minute) 2 25.0 10.0 15.0 10.0 15.0 10.0",
                                  "b \(midnight) 2 5.0 0.0 5.0 0.0 5.0 5.0", "b \(midnight + 60 * minute) 2 25.0 10.0 15.0 10.0 15.0 10.0"])
        #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog") == 0)
    }

    @Test("while messages flow, a series' hour is written at most once per interval; latest values do not wait for it")
    func steadyHoursWaitForTheirCycle() throws {
        let db = try Schema.open(path: path)
        let writer = writer(db)
        let devices = ["a", "b", "c"]
        // The first batch starts a cycle and writes its hours; the next ones fall within the interval and wait.
        for step in 0..<4 {
            try batch(writer, devices: devices, kind: "gauge", time: midnight + Int64(step) * 10 * minute, value: { _ in Double(step) }, underLoad: false)
        }
        #expect(try db.scalarInt("SELECT sum(count) FROM hourly_rollups") == 3)
        #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog WHERE period = 1")! >= 1)
        let latest = try db.prepare("SELECT ts, value FROM latest ORDER BY series_id").map { "\($0.int(0)) \($0.double(1))" }
        #expect(latest == Array(repeating: "\(midnight + 30 * minute) 3.0", count: 3))
        #expect(writer.hasRollupWorkDue == false)
        try writer.refreshPendingRollups()
        #expect(try hours(db) == devices.map { "\($0) \(midnight) 4 6.0 0.0 3.0 0.0 3.0 -" })
        #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog") == 0)
    }

    @Test("a crash while hours wait for their cycle loses nothing: listed hours are recomputed from the readings, counters included")
    func crashDuringCycle() throws {
        let db = try Schema.open(path: path)
        let devices = (0..<50).map { "d\($0)" }
        do {
            let crashing = writer(db)
            for step in 0..<3 {
                try batch(crashing, devices: devices, kind: "counter", time: midnight + Int64(step) * 10 * minute,
                          value: { key in Double(key.dropFirst())! * 100 + Double(step) * 7 }, underLoad: false)
            }
            // Dropped without a refresh: two batches' sums were only in memory.
        }
        let restarted = writer(db)
        try restarted.begin()
        try restarted.commit(checkpoint: nil)
        try restarted.refreshPendingRollups()
        let expected = devices.map { key -> String in
            let base = Double(key.dropFirst())! * 100
            return "\(key) \(midnight) 3 \(3 * base + 21) \(base) \(base + 14) \(base) \(base + 14) 14.0"
        }
        #expect(try hours(db) == expected.sorted())
        #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog") == 0)
    }

    @Test("a crash with hours unwritten: the next start recomputes them from the readings, counters included")
    func crashRecovery() throws {
        let db = try Schema.open(path: path)
        let counters = ["m1", "m2"]
        do {
            let crashing = writer(db)
            for step in 0..<8 { // 00:00 … 01:10: two hours
                try batch(crashing, devices: counters, kind: "counter", time: midnight + Int64(step) * 10 * minute,
                          value: { $0 == "m1" ? Double(100 + 10 * step) : Double(step == 5 ? 1 : 1000 + step) }, underLoad: true)
            }
            #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog")! >= 1)
            // The process dies here: what `crashing` summed in memory is lost.
        }
        let restarted = writer(db)
        try restarted.begin() // recovery runs at the start of the first batch
        try restarted.commit(checkpoint: nil)
        try restarted.refreshPendingRollups()
        #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog") == 0)
        // m1: 100, 110 … 170; hour 0 holds 100…150 (consumption 50), hour 1 holds 160, 170 (20).
        // m2: 1000…1004, then 1 (a reset), then 1006, 1007 — hour 0: 1000, 1001, 1002, 1003, 1004, 1 → 4 + 1;
        // hour 1: 1006 (1 → 1006 is an increase of 1005), 1007 (1).
        #expect(try hours(db) == [
            "m1 \(midnight) 6 750.0 100.0 150.0 100.0 150.0 50.0",
            "m1 \(midnight + 60 * minute) 2 330.0 160.0 170.0 160.0 170.0 20.0",
            "m2 \(midnight) 6 5011.0 1.0 1004.0 1000.0 1.0 5.0",
            "m2 \(midnight + 60 * minute) 2 2013.0 1006.0 1007.0 1006.0 1007.0 1006.0",
        ])
        #expect(try dayCount(db) == 16)
    }

    @Test("a rolled-back batch loses none of the hours earlier batches left unwritten")
    func rollbackKeepsEarlierHours() throws {
        let db = try Schema.open(path: path)
        let writer = writer(db)
        for step in 0..<3 {
            try batch(writer, devices: ["a"], kind: "gauge", time: midnight + Int64(step) * minute, value: { _ in 1 }, underLoad: true)
        }
        try writer.begin()
        let device = try writer.device(key: "a", at: midnight).record
        try writer.insertReading(device: device, metric: "m", unit: "Wh", kind: "gauge", time: midnight + 10 * minute, value: 99, receivedAt: midnight)
        writer.rollback() // e.g. the disk was full
        try batch(writer, devices: ["a"], kind: "gauge", time: midnight + 20 * minute, value: { _ in 2 }, underLoad: true)
        try writer.refreshPendingRollups()
        #expect(try hours(db) == ["a \(midnight) 4 5.0 1.0 2.0 1.0 2.0 -"])
    }

    @Test("days are refreshed a slice per batch, and all of them in the end")
    func daysRefreshInSlices() throws {
        let db = try Schema.open(path: path)
        let writer = writer(db, slice: 2)
        let devices = (0..<7).map { "d\($0)" }
        try batch(writer, devices: devices, kind: "gauge", time: midnight, value: { _ in 1 }, underLoad: false)
        #expect(try db.scalarInt("SELECT count(*) FROM rollups WHERE period = 2") == 2)
        var batches = 1
        while writer.hasRollupWorkDue, batches < 20 {
            try writer.refreshPendingRollups(complete: false)
            batches += 1
        }
        #expect(try db.scalarInt("SELECT count(*) FROM rollups WHERE period = 2") == 7)
        #expect(try db.scalarInt("SELECT count(*) FROM rollups WHERE period = 3") == 7)
        #expect(batches == 7) // 4 batches of days (2 + 2 + 2 + 1), then 4 of months, sharing one
        #expect(!writer.hasRollupWorkDue)
    }

    @Test("a crash while days wait for their refresh: the next start refreshes them")
    func pendingDaysSurviveACrash() throws {
        let db = try Schema.open(path: path)
        do {
            // Days are due only every hour: they stay pending, listed in rollup_backlog, when the process dies.
            let crashing = writer(db, refreshIntervalMs: 3_600_000, hourFlushIntervalMs: 0)
            try batch(crashing, devices: ["a"], kind: "gauge", time: midnight, value: { _ in 1 }, underLoad: false)
            try crashing.refreshPendingRollups(complete: true) // the first refresh; from now on days wait
            for step in 1...3 {
                try batch(crashing, devices: ["a", "b"], kind: "gauge", time: midnight + Int64(step) * 24 * 60 * minute,
                          value: { _ in 1 }, underLoad: false)
            }
            #expect(try db.scalarInt("SELECT count(*) FROM rollups WHERE period = 2") == 1)
            #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog WHERE period = 2")! >= 1)
        }
        let restarted = writer(db)
        try restarted.begin()
        try restarted.commit(checkpoint: nil)
        while restarted.hasRollupWorkDue { try restarted.refreshPendingRollups(complete: false) }
        #expect(try db.scalarInt("SELECT count(*) FROM rollups WHERE period = 2") == 7) // a: 4 days, b: 3
        #expect(try db.scalarInt("SELECT count(*) FROM rollups WHERE period = 3") == 2)
        #expect(try db.scalarInt("SELECT sum(count) FROM rollups WHERE period = 3") == 7)
        #expect(try db.scalarInt("SELECT count(*) FROM rollup_backlog") == 0)
    }
}
