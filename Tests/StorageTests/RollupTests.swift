import Assets
import Foundation
import SQLiteDB
import Testing
@testable import Storage

/// Rollups on the commune's calendar, checked against hand-computed values.
struct RollupTests {
    let paris = TimeZone(identifier: "Europe/Paris")!
    let path = NSTemporaryDirectory() + "pmc-rollups-\(UUID().uuidString.prefix(8)).sqlite"

    /// Milliseconds of a local Paris wall time.
    func local(_ text: String) -> Int64 {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = paris
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return Int64(formatter.date(from: text)!.timeIntervalSince1970 * 1000)
    }

    /// Stores readings, one batch per reading, then refreshes days and months.
    func store(_ readings: [(String, Double)], kind: String, db: Connection, writer: ReadingWriter) throws {
        for (time, value) in readings {
            try writer.begin()
            let device = try writer.device(key: "compteur", at: 0).record
            try writer.insertReading(device: device, metric: "m", unit: "Wh", kind: kind, time: local(time), value: value, receivedAt: 0)
            try writer.commit(checkpoint: nil)
        }
        try writer.refreshPendingRollups()
    }

    func rollup(_ db: Connection, _ period: RollupPeriod, _ start: String) throws -> (count: Int64, mean: Double, min: Double, max: Double, consumption: Double?)? {
        let table = period == .hour ? "hourly_rollups WHERE" : "rollups WHERE period = \(period.rawValue) AND"
        return try db.prepare("SELECT count, sum / count, min, max, consumption FROM \(table) bucket_start = ?")
            .first([local(start)]) { ($0.int(0), $0.double(1), $0.double(2), $0.double(3), $0.optionalDouble(4)) }
    }

    @Test("DST days have 23 and 25 hours; months are real months")
    func calendarBuckets() {
        let calendar = CommuneCalendar(timeZone: paris)
        let spring = calendar.bucket(.day, containing: local("2026-03-29T12:00"))
        #expect(spring.end - spring.start == 23 * 3_600_000)
        let autumn = calendar.bucket(.day, containing: local("2026-10-25T12:00"))
        #expect(autumn.end - autumn.start == 25 * 3_600_000)
        let february = calendar.bucket(.month, containing: local("2026-02-14T12:00"))
        #expect(february.start == local("2026-02-01T00:00"))
        #expect(february.end == local("2026-03-01T00:00"))
        // 2026-01-31 23:30 in Paris is still January even though it is 22:30 UTC.
        #expect(calendar.bucket(.month, containing: local("2026-01-31T23:30")).start == local("2026-01-01T00:00"))
    }

    @Test("refreshing days and months and purging rollups, again and again, recompiles no statement")
    func rollupStatementsStayCompiled() throws {
        let db = try Schema.open(path: path)
        let writer = ReadingWriter(connection: db, timeZone: paris)
        try store([("2026-01-30T23:10", 100), ("2026-01-31T08:00", 150), ("2026-02-01T00:20", 170)], kind: "counter", db: db, writer: writer)
        let before = db.recompilationCount
        for (index, time) in ["2026-02-01T09:00", "2026-02-02T10:00", "2026-01-31T12:00", "2026-02-03T11:00"].enumerated() {
            try store([(time, 200 + Double(index))], kind: "counter", db: db, writer: writer)
            _ = try RetentionPurger(connection: db, policy: RetentionPolicy(rawDays: 0, hourlyDays: 400, dailyDays: 400, monthlyDays: 400, rejectedDays: 0))
                .purgeAll(now: local("2026-02-04T00:00"))
        }
        #expect(try rollup(db, .month, "2026-02-01T00:00") != nil)
        #expect(db.recompilationCount == before)
    }

    @Test("counter consumption per hour, day and month, across a reset")
    func counterAcrossReset() throws {
        let db = try Schema.open(path: path)
        let writer = ReadingWriter(connection: db, timeZone: paris)
        try store([("2026-01-15T00:10", 100), ("2026-01-15T00:50", 150), ("2026-01-15T01:20", 170),
                   ("2026-01-15T01:40", 20), ("2026-01-15T02:10", 50)], kind: "counter", db: db, writer: writer)
        #expect(try rollup(db, .hour, "2026-01-15T00:00")?.consumption == 50)   // 100 → 150
        #expect(try rollup(db, .hour, "2026-01-15T01:00")?.consumption == 40)   // 150 → 170, reset, 0 → 20
        #expect(try rollup(db, .hour, "2026-01-15T02:00")?.consumption == 30)   // 20 → 50
        #expect(try rollup(db, .day, "2026-01-15T00:00")?.consumption == 120)
        #expect(try rollup(db, .month, "2026-01-01T00:00")?.consumption == 120)
        #expect(try db.scalarInt("SELECT value FROM ingest_counters WHERE name = 'counter_resets'") == 1)
    }

    @Test("a late counter reading moves consumption between hours, the day total is unchanged")
    func lateCounterReading() throws {
        let db = try Schema.open(path: path)
        let writer = ReadingWriter(connection: db, timeZone: paris)
        try store([("2026-01-15T00:10", 100), ("2026-01-15T02:10", 200)], kind: "counter", db: db, writer: writer)
        #expect(try rollup(db, .hour, "2026-01-15T02:00")?.consumption == 100)
        try store([("2026-01-15T01:10", 130)], kind: "counter", db: db, writer: writer)
        #expect(try rollup(db, .hour, "2026-01-15T01:00")?.consumption == 30)
        #expect(try rollup(db, .hour, "2026-01-15T02:00")?.consumption == 70)
        #expect(try rollup(db, .day, "2026-01-15T00:00")?.consumption == 100)
        #expect(try rollup(db, .day, "2026-01-15T00:00")?.count == 3)
    }

    @Test("a late reading after a restart is recognised as late")
    func lateReadingAfterRestart() throws {
        let db = try Schema.open(path: path)
        try store([("2026-01-15T00:10", 100), ("2026-01-15T02:10", 200)], kind: "counter", db: db,
                  writer: ReadingWriter(connection: db, timeZone: paris))
        // A new writer (a restarted gateway) knows nothing in memory about the series.
        try store([("2026-01-15T01:10", 130)], kind: "counter", db: db, writer: ReadingWriter(connection: db, timeZone: paris))
        #expect(try rollup(db, .hour, "2026-01-15T01:00")?.consumption == 30)
        #expect(try rollup(db, .hour, "2026-01-15T02:00")?.consumption == 70)
        #expect(try rollup(db, .day, "2026-01-15T00:00")?.consumption == 100)
    }

    @Test("gauge aggregates: count, mean, min, max per hour, day (a 25-hour day) and month")
    func gaugeAggregates() throws {
        let db = try Schema.open(path: path)
        let writer = ReadingWriter(connection: db, timeZone: paris)
        try store([("2026-10-25T00:30", 18), ("2026-10-25T23:30", 22), ("2026-10-25T12:00", 20), ("2026-10-26T00:10", 30)],
                  kind: "gauge", db: db, writer: writer)
        let day = try rollup(db, .day, "2026-10-25T00:00")
        #expect(day?.count == 3)
        #expect(day?.mean == 20)
        #expect(day?.min == 18)
        #expect(day?.max == 22)
        #expect(day?.consumption == nil)
        #expect(try rollup(db, .month, "2026-10-01T00:00")?.count == 4)
        #expect(try rollup(db, .month, "2026-10-01T00:00")?.max == 30)
    }

    @Test("daily consumption of an asset and commune-wide totals per domain")
    func assetAndDomainQueries() throws {
        let db = try Schema.open(path: path)
        let writer = ReadingWriter(connection: db, timeZone: paris)
        try InventoryStore(connection: db).sync(Inventory(
            assets: [Asset(id: "ECOLE", name: "École", type: .building, domain: .batiments),
                     Asset(id: "ARMOIRE", name: "Armoire", type: .controlCabinet, domain: .eclairage)],
            devices: [DeviceBinding(id: "compteur-ecole", profile: "p", asset: "ECOLE"),
                      DeviceBinding(id: "compteur-armoire", profile: "p", asset: "ARMOIRE")]))
        for (key, values) in [("compteur-ecole", [1000.0, 1500, 2500]), ("compteur-armoire", [10.0, 40, 100])] {
            for (day, value) in zip(["2026-01-14T12:00", "2026-01-15T12:00", "2026-01-16T12:00"], values) {
                try writer.begin()
                let device = try writer.device(key: key, at: 0).record
                try writer.insertReading(device: device, metric: "energy_import", unit: "Wh", kind: "counter", time: local(day), value: value, receivedAt: 0)
                try writer.commit(checkpoint: nil)
            }
        }
        try writer.refreshPendingRollups()
        let queries = GatewayQueries(connection: db)
        let school = try queries.rollups(asset: "ECOLE", metric: "energy_import", period: .day, from: local("2026-01-01T00:00"), to: local("2027-01-01T00:00"))
        #expect(school.map(\.consumption) == [0, 500, 1000])
        #expect(school.map(\.bucketStart) == [local("2026-01-14T00:00"), local("2026-01-15T00:00"), local("2026-01-16T00:00")])
        let totals = try queries.domainTotals(metric: "energy_import", period: .day, from: local("2026-01-15T00:00"), to: local("2026-01-17T00:00"))
        #expect(totals.map { "\($0.domain!) \($0.consumption!)" } == ["batiments 500.0", "batiments 1000.0", "eclairage 30.0", "eclairage 60.0"])
    }

    @Test("hours of an asset or a device over the 25-hour DST day: each hour found by its key, the day made of all 25")
    func hourlyQueriesAcrossDST() throws {
        let db = try Schema.open(path: path)
        let writer = ReadingWriter(connection: db, timeZone: paris)
        try InventoryStore(connection: db).sync(Inventory(
            assets: [Asset(id: "CRECHE", name: "Crèche", type: .room, domain: .petiteEnfance)],
            devices: [DeviceBinding(id: "sonde", profile: "p", asset: "CRECHE")]))
        let start = local("2026-10-25T00:00"), end = local("2026-10-26T00:00")
        #expect(end - start == 25 * 3_600_000)
        try writer.begin()
        let device = try writer.device(key: "sonde", at: 0).record
        for half in 0..<50 {   // every half hour, the value counting them
            try writer.insertReading(device: device, metric: "temperature", unit: "°C", kind: "gauge", time: start + Int64(half) * 1_800_000,
                                     value: Double(half), receivedAt: 0)
        }
        try writer.commit(checkpoint: nil, refreshRollups: true)
        let queries = GatewayQueries(connection: db)
        let hours = try queries.rollups(asset: "CRECHE", metric: "temperature", period: .hour, from: start, to: end)
        #expect(hours.map(\.bucketStart) == (0..<25).map { start + Int64($0) * 3_600_000 })
        #expect(hours.map(\.mean) == (0..<25).map { Double(2 * $0) + 0.5 })
        #expect(try queries.rollups(device: "sonde", metric: "temperature", period: .hour, from: start, to: end) == hours)
        // Bounds inside hours: from the next hour's start, up to (not including) the last hour's start.
        let inner = try queries.rollups(asset: "CRECHE", metric: "temperature", period: .hour, from: start + 1, to: end - 3_600_000)
        #expect(inner.map(\.bucketStart) == (1..<24).map { start + Int64($0) * 3_600_000 })
        #expect(try queries.rollups(asset: "CRECHE", metric: "temperature", period: .hour, from: end, to: .max).isEmpty)
        let day = try rollup(db, .day, "2026-10-25T00:00")
        #expect(day?.count == 50)
        #expect(day?.max == 49)
    }

    @Test("moving an asset to another domain moves its history in the domain totals")
    func domainTotalsFollowTheInventory() throws {
        let db = try Schema.open(path: path)
        let writer = ReadingWriter(connection: db, timeZone: paris)
        func inventory(_ domain: Domain) -> Inventory {
            Inventory(assets: [Asset(id: "GYMNASE", name: "Gymnase", type: .building, domain: domain)],
                      devices: [DeviceBinding(id: "compteur", profile: "p", asset: "GYMNASE")])
        }
        try InventoryStore(connection: db).sync(inventory(.batiments))
        try store([("2026-01-15T08:00", 100), ("2026-01-15T18:00", 400)], kind: "counter", db: db, writer: writer)
        let queries = GatewayQueries(connection: db)
        let day = (local("2026-01-15T00:00"), local("2026-01-16T00:00"))
        #expect(try queries.domainTotals(metric: "m", period: .day, from: day.0, to: day.1).map { "\($0.domain!) \($0.consumption!)" } == ["batiments 300.0"])
        try InventoryStore(connection: db).sync(inventory(.equipementsSportifs))
        #expect(try queries.domainTotals(metric: "m", period: .day, from: day.0, to: day.1).map { "\($0.domain!) \($0.consumption!)" } == ["equipements_sportifs 300.0"])
        #expect(try queries.domainTotals(metric: "m", period: .month, from: local("2026-01-01T00:00"), to: local("2026-02-01T00:00")).map(\.consumption) == [300])
    }
}
