import Foundation
import SQLiteDB
import Testing
@testable import Storage

struct PackedReadingsTests {
    @Test("entries come back in series order with their exact values, large ids and special doubles included")
    func roundTrip() {
        let entries: [PackedReadings.Entry] = [
            .init(series: 3_000_000_000, value: -0.0), .init(series: 7, value: 21.5), .init(series: 8, value: .infinity),
            .init(series: 127, value: -1e300), .init(series: 128, value: 123_456_789_012), .init(series: 1, value: .leastNonzeroMagnitude),
        ]
        let packed = PackedReadings(entries)
        let decoded = PackedReadings(bytes: packed.bytes)
        #expect(decoded.entries.map(\.series) == [1, 7, 8, 127, 128, 3_000_000_000])
        #expect(decoded.entries.map(\.value.bitPattern) == packed.entries.map(\.value.bitPattern))
        #expect(decoded == packed)
    }

    @Test("a device's consecutive series take one byte of id each: 9 bytes a reading")
    func compact() {
        let packed = PackedReadings((0..<8).map { .init(series: 40_000 + Int64($0), value: Double($0)) })
        #expect(packed.bytes.count == 3 + 8 + 7 * 9)
    }

    @Test("one series' value is found without decoding the rest; an absent series gives nil")
    func lookup() {
        let bytes = PackedReadings([.init(series: 5, value: 1.5), .init(series: 9, value: 2.5), .init(series: 300, value: 3.5)]).bytes
        bytes.withUnsafeBytes { raw in
            #expect(PackedReadings.value(of: 9, in: raw) == 2.5)
            #expect(PackedReadings.value(of: 300, in: raw) == 3.5)
            #expect(PackedReadings.value(of: 6, in: raw) == nil)
            #expect(PackedReadings.value(of: 301, in: raw) == nil)
        }
    }

    @Test("a damaged tail keeps the entries before it and never reads past the end")
    func damagedTail() {
        let bytes = PackedReadings([.init(series: 5, value: 1.5), .init(series: 9, value: 2.5)]).bytes
        for cut in 0..<bytes.count {
            let prefix = Array(bytes.prefix(cut))
            let decoded = PackedReadings(bytes: prefix)
            #expect(decoded.entries.count == (cut >= 18 ? 2 : cut >= 9 ? 1 : 0))
        }
        let endless = [UInt8](repeating: 0xFF, count: 40)
        #expect(PackedReadings(bytes: endless).entries.isEmpty)
    }

    @Test("merging keeps the first value of a series and returns only what it added")
    func mergeFirstWins() {
        var packed = PackedReadings([.init(series: 5, value: 1), .init(series: 9, value: 2)])
        let added = packed.merge([.init(series: 9, value: 99), .init(series: 7, value: 3)])
        #expect(added == [.init(series: 7, value: 3)])
        #expect(packed.entries == [.init(series: 5, value: 1), .init(series: 7, value: 3), .init(series: 9, value: 2)])
    }

    @Test("the readings view reads the packed rows through reading_value on any connection Schema opens")
    func viewOverMeasurements() throws {
        let path = NSTemporaryDirectory() + "pmc-packed-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try Schema.open(path: path)
        try db.execute("INSERT INTO devices (id, key) VALUES (1, 'd1'), (2, 'd2')")
        try db.execute("INSERT INTO series (id, device_id, metric, unit, kind) VALUES (10, 1, 'a', 'x', 'gauge'), (11, 1, 'b', 'x', 'gauge'), (12, 2, 'a', 'x', 'gauge')")
        // The second measurement of device 1 is an hour later: the view finds it through device_hours.
        try db.execute("INSERT INTO device_hours (device_id, hour) VALUES (1, 0), (1, 1), (2, 0)")
        try db.run("INSERT INTO measurements (hour, device_id, ts, readings) VALUES (0, 1, 100, ?), (1, 1, 3600200, ?), (0, 2, 100, ?)",
                   SQLValue.blob(PackedReadings([.init(series: 10, value: 1), .init(series: 11, value: 2)]).bytes),
                   SQLValue.blob(PackedReadings([.init(series: 11, value: 3)]).bytes),
                   SQLValue.blob(PackedReadings([.init(series: 12, value: 4)]).bytes))
        let rows = try db.prepare("SELECT series_id, ts, value FROM readings ORDER BY series_id, ts").map { [$0.int(0), $0.int(1), Int64($0.double(2))] }
        #expect(rows == [[10, 100, 1], [11, 100, 2], [11, 3_600_200, 3], [12, 100, 4]])
        let reader = try Schema.openForReading(path: path)
        #expect(try reader.scalarInt("SELECT count(*) FROM readings WHERE series_id = 11") == 2)
    }
}
