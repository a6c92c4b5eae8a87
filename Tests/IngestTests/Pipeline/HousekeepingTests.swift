import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Ingest

/// The purge runs in rounds that visit every series once, a few milliseconds at a time.
struct HousekeepingTests {
    let folder = NSTemporaryDirectory() + "pmc-housekeeping-\(UUID().uuidString.prefix(8))"

    @Test("a purge round visits every series once, deletes what expired, then waits for the next interval")
    func purgeRounds() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var settings = StorageSettings(database: folder + "/gateway.sqlite", journal: folder + "/journal")
        settings.retention.rawDays = 30
        let db = try Schema.open(path: settings.database)
        let writer = ReadingWriter(connection: db)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let day: Int64 = 86_400_000
        try writer.begin()
        for index in 0..<300 {
            let device = try writer.device(key: "d\(index)", at: now).record
            try writer.insertReading(device: device, metric: "m", unit: "W", kind: "gauge", time: now - 40 * day, value: 1, receivedAt: now)
            try writer.insertReading(device: device, metric: "m", unit: "W", kind: "gauge", time: now - day, value: 2, receivedAt: now)
        }
        try writer.commit(checkpoint: nil)
        let journal = try Journal(directory: settings.journal)
        let housekeeping = Housekeeping(settings: settings, journal: journal, logger: Logger(label: "test"), purgeInterval: 3_600)
        var ticks = 0
        while housekeeping.roundsCompleted == 0, ticks < 10_000 {
            try housekeeping.tick(connection: db, writer: writer, idle: false)
            ticks += 1
        }
        #expect(housekeeping.roundsCompleted == 1)
        #expect(try db.scalarInt("SELECT count(*) FROM readings") == 300) // the 40-day-old ones are gone
        #expect(try db.scalarInt("SELECT min(value) FROM readings") == 2)
        // The next round waits for the interval: further ticks do nothing.
        try housekeeping.tick(connection: db, writer: writer, idle: true)
        #expect(housekeeping.roundStepsLeft == 0 && housekeeping.roundsCompleted == 1)
    }
}
