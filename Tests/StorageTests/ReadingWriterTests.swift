import Assets
import Foundation
import SQLiteDB
import Testing
@testable import Storage

struct ReadingWriterTests {
    let path = NSTemporaryDirectory() + "pmc-storage-\(UUID().uuidString.prefix(8)).sqlite"

    func open() throws -> Connection { try Schema.open(path: path) }

    @Test("the same series and time is stored once, whether 45 or 45.0; the first value is kept")
    func duplicatesStoredOnce() throws {
        let db = try open()
        let writer = ReadingWriter(connection: db)
        try writer.begin()
        let device = try writer.device(key: "d1", at: 0).record
        try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: 1000, value: 45, receivedAt: 1)
        try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: 1000, value: 45.0, receivedAt: 2)
        try writer.commit(checkpoint: JournalPosition(segment: 1, offset: 10))
        #expect(try db.scalarInt("SELECT count(*) FROM readings") == 1)
        #expect(try writer.checkpoint() == JournalPosition(segment: 1, offset: 10))
        #expect(try db.scalarInt("SELECT value FROM ingest_counters WHERE name = 'readings_duplicate'") == 1)
        #expect(try db.scalarInt("SELECT value FROM ingest_counters WHERE name = 'readings_stored'") == 1)
    }

    @Test("a message's metrics are one measurement; a later message at the same instant adds only the metrics it lacks")
    func oneMeasurementPerDeviceAndInstant() throws {
        let db = try open()
        let writer = ReadingWriter(connection: db)
        try writer.begin()
        let device = try writer.device(key: "d1", at: 0).record
        try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: 1000, value: 20, receivedAt: 1)
        try writer.insertReading(device: device, metric: "h", unit: "%", kind: "gauge", time: 1000, value: 50, receivedAt: 1)
        try writer.commit(checkpoint: nil)
        try writer.begin()
        try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: 1000, value: 99, receivedAt: 2)
        try writer.insertReading(device: device, metric: "co2", unit: "ppm", kind: "gauge", time: 1000, value: 800, receivedAt: 2)
        try writer.commit(checkpoint: nil)
        #expect(try db.scalarInt("SELECT count(*) FROM measurements") == 1)
        let rows = try db.prepare("SELECT s.metric, r.value FROM readings r JOIN series s ON s.id = r.series_id ORDER BY s.metric").map { "\($0.string(0))=\(Int($0.double(1)))" }
        #expect(rows == ["co2=800", "h=50", "t=20"])
        #expect(try db.scalarInt("SELECT value FROM ingest_counters WHERE name = 'readings_duplicate'") == 1)
        #expect(try db.scalarInt("SELECT value FROM ingest_counters WHERE name = 'readings_stored'") == 3)
        #expect(try db.scalarInt("SELECT count FROM hourly_rollups WHERE series_id = (SELECT id FROM series WHERE metric = 't')") == 1)
    }

    @Test("receive-timed messages of one device in the same millisecond each get the next free millisecond")
    func receiptTimedBurst() throws {
        let db = try open()
        let writer = ReadingWriter(connection: db)
        try writer.begin()
        let device = try writer.device(key: "d1", at: 0).record
        for value in [1.0, 2, 3] {
            try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: 5000, value: value, receivedAt: 5000, timeFromReceipt: true)
            try writer.insertReading(device: device, metric: "h", unit: "%", kind: "gauge", time: 5000, value: value * 10, receivedAt: 5000, timeFromReceipt: true)
        }
        try writer.commit(checkpoint: nil)
        try writer.begin()
        try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: 5001, value: 4, receivedAt: 5001, timeFromReceipt: true)
        try writer.commit(checkpoint: nil)
        let rows = try db.prepare("SELECT r.ts, s.metric, r.value FROM readings r JOIN series s ON s.id = r.series_id ORDER BY r.ts, s.metric").map { "\($0.int(0)) \($0.string(1))=\(Int($0.double(2)))" }
        #expect(rows == ["5000 h=10", "5000 t=1", "5001 h=20", "5001 t=2", "5002 h=30", "5002 t=3", "5003 t=4"])
        #expect(try db.scalarInt("SELECT count(*) FROM ingest_counters WHERE name = 'readings_duplicate'") == 0)
    }

    @Test("a burst of 3,000 receive-timed messages of one device in one millisecond: 3,000 consecutive milliseconds")
    func largeReceiptTimedBurst() throws {
        let db = try open()
        let writer = ReadingWriter(connection: db)
        try writer.begin()
        let device = try writer.device(key: "d1", at: 0).record
        for index in 0..<3_000 {
            try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: 5000, value: Double(index), receivedAt: 5000, timeFromReceipt: true)
            try writer.insertReading(device: device, metric: "h", unit: "%", kind: "gauge", time: 5000, value: Double(index), receivedAt: 5000, timeFromReceipt: true)
        }
        try writer.commit(checkpoint: nil)
        #expect(try db.scalarInt("SELECT count(*) FROM measurements") == 3_000)
        #expect(try db.scalarInt("SELECT min(ts) FROM measurements") == 5_000)
        #expect(try db.scalarInt("SELECT max(ts) FROM measurements") == 7_999)
        // In arrival order: the k-th message's readings at 5000 + k.
        #expect(try db.scalarInt("SELECT count(*) FROM readings WHERE value = ts - 5000") == 6_000)
    }

    @Test("the latest value is the newest measurement, not the last received, across batches")
    func latestByMeasurementTime() throws {
        let db = try open()
        let writer = ReadingWriter(connection: db)
        let device = try { try writer.begin(); defer { try? writer.commit(checkpoint: nil) }; return try writer.device(key: "d1", at: 0).record }()
        for (time, value) in [(3000, 3.0), (1000, 1.0)] {
            try writer.begin()
            try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: Int64(time), value: value, receivedAt: 5)
            try writer.commit(checkpoint: nil)
        }
        try writer.begin()
        try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: 2000, value: 2, receivedAt: 6)
        try writer.insertReading(device: device, metric: "t", unit: "°C", kind: "gauge", time: 500, value: 0.5, receivedAt: 6)
        try writer.commit(checkpoint: nil)
        let latest = try db.prepare("SELECT ts, value FROM latest").first { ($0.int(0), $0.double(1)) }
        #expect(latest?.0 == 3000)
        #expect(latest?.1 == 3)
        #expect(try db.scalarInt("SELECT count(*) FROM readings") == 4)
    }

    @Test("binding a pending device to an asset brings its history along")
    func bindingBringsHistory() throws {
        let db = try open()
        let writer = ReadingWriter(connection: db)
        try writer.begin()
        let device = try writer.device(key: "a84041000181c0b2", at: 0)
        #expect(device.discovered)
        #expect(device.record.isPending)
        try writer.insertReading(device: device.record, metric: "t", unit: "°C", kind: "gauge", time: 1000, value: 20, receivedAt: 1)
        try writer.commit(checkpoint: nil)

        let inventory = Inventory(assets: [Asset(id: "ECOLE", name: "École", type: .building, domain: .batiments)],
                                  devices: [DeviceBinding(id: "a84041000181c0b2", profile: "p", asset: "ECOLE")])
        try InventoryStore(connection: db).sync(inventory)
        let rows = try GatewayQueries(connection: db).readings(asset: "ECOLE")
        #expect(rows.count == 1)
        #expect(rows.first?.value == 20)
        #expect(try GatewayQueries(connection: db).devices(pendingOnly: true).isEmpty)
    }

    @Test("rejected payloads are kept, capped in size, with their reason")
    func rejectedKept() throws {
        let db = try open()
        let writer = ReadingWriter(connection: db)
        try writer.begin()
        try writer.reject(subscription: "lora", topic: "t", payload: Array(repeating: 65, count: 10_000), payloadLimit: 4096,
                          reason: "invalid JSON at byte 3", deviceKey: nil, receivedAt: 42)
        try writer.commit(checkpoint: nil)
        let row = try GatewayQueries(connection: db).rejected().first
        #expect(row?.payload.count == 4096)
        #expect(row?.payloadSize == 10_000)
        #expect(row?.reason == "invalid JSON at byte 3")
    }

    @Test("errors carry the SQLite code and the statement")
    func errorsCarryStatement() throws {
        let db = try open()
        let result = Result<Void, SQLiteError> { () throws(SQLiteError) in try db.execute("INSERT INTO nowhere VALUES (1)") }
        guard case .failure(let error) = result else {
            Issue.record("no error")
            return
        }
        #expect(error.statement == "INSERT INTO nowhere VALUES (1)")
        #expect(error.primaryCode == 1)
        #expect(error.description.contains("no such table"))
    }

    @Test("migrations are ordered and applied once")
    func migrationsOnce() throws {
        let db = try open()
        #expect(try Schema.migrator.migrate(db).isEmpty)
        #expect(try db.scalarInt("SELECT count(*) FROM schema_migrations") == Int64(Schema.migrator.identifiers.count))
    }
}
