import Assets
import Foundation
import Logging
import SQLiteDB
import Storage

/// Periodic upkeep run by the writer thread between batches: purge expired data, release free pages, and
/// sample disk use to warn when the disk (or the budget) will be full within 30 days.
///
/// Running on the writer thread means upkeep never competes with ingest for SQLite's write lock. The purge goes
/// in rounds: every `purgeInterval`, each series is visited once (one short transaction per series), a few
/// milliseconds per tick — 2 ms between batches, 20 ms when idle — so a batch never waits long and a steady flow
/// of small batches does not pay for a purge at every one of them.
final class Housekeeping {
    static let warningHorizonDays = 30.0

    private let settings: StorageSettings
    private let journal: Journal
    private let logger: Logger
    private let purgeInterval: TimeInterval
    private let sampleInterval: TimeInterval
    private var lastPurge = Date.distantPast
    private var lastSample = Date.distantPast
    private var purger: RetentionPurger?
    /// Series steps left in the current purge round (0: no round in progress).
    private(set) var roundStepsLeft = 0
    /// Rounds completed since start.
    private(set) var roundsCompleted = 0

    init(settings: StorageSettings, journal: Journal, logger: Logger, purgeInterval: TimeInterval = 600, sampleInterval: TimeInterval = 600) {
        self.settings = settings
        self.journal = journal
        self.logger = logger
        self.purgeInterval = purgeInterval
        self.sampleInterval = sampleInterval
    }

    /// Does what is due, within a small time budget (larger when `idle`).
    func tick(connection: Connection, writer: ReadingWriter, idle: Bool) throws {
        let now = Date()
        if roundStepsLeft == 0, now.timeIntervalSince(lastPurge) >= purgeInterval {
            // One step per series, and one more for the purge of rejected messages that every step also does.
            roundStepsLeft = Int(try connection.scalarInt("SELECT count(*) FROM series") ?? 0) + 1
            lastPurge = now
        }
        if roundStepsLeft > 0 {
            let purger = self.purger ?? RetentionPurger(connection: connection, policy: settings.retention)
            self.purger = purger
            let deadline = now.addingTimeInterval(idle ? 0.020 : 0.002)
            var deleted = 0
            repeat {
                deleted += try purger.step(now: Int64(now.timeIntervalSince1970 * 1000))
                roundStepsLeft -= 1
            } while roundStepsLeft > 0 && Date() < deadline
            if deleted > 0 { try purger.releaseFreePages(pages: 256) }
            if roundStepsLeft == 0 { roundsCompleted += 1 }
        }
        if now.timeIntervalSince(lastSample) >= sampleInterval {
            lastSample = now
            try checkDisk(connection: connection, writer: writer, now: now)
        }
    }

    private func checkDisk(connection: Connection, writer: ReadingWriter, now: Date) throws {
        let used = Self.fileSize(settings.database) + Self.fileSize(settings.database + "-wal") + journal.diskUsage()
        let folder = (settings.database as NSString).deletingLastPathComponent
        let outlook = try DiskForecast(connection: connection).sample(
            now: Int64(now.timeIntervalSince1970 * 1000), usedBytes: used, freeBytes: Self.freeBytes(folder.isEmpty ? "." : folder),
            budgetBytes: settings.diskBudgetMB.map { Int64($0) << 20 })
        if outlook.fullWithin(days: Self.warningHorizonDays) {
            try writer.begin()
            writer.count("disk_full_forecast_warnings")
            try writer.commit(checkpoint: nil)
            logger.warning("disk will be full within 30 days at the current growth: raise storage.disk_budget_mb, free space, or shorten storage.retention", metadata: [
                "used_mb": "\(outlook.usedBytes >> 20)", "available_mb": "\(outlook.availableBytes >> 20)",
                "growth_mb_per_day": "\(Int(outlook.bytesPerDay / 1_048_576))",
                "days_until_full": "\(outlook.daysUntilFull.map { String(format: "%.1f", $0) } ?? "now")",
            ])
        }
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    static func freeBytes(_ folder: String) -> Int64 {
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else { return .max }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
