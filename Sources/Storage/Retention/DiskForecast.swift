import Foundation
import SQLiteDB

/// What the disk forecast says.
public struct DiskOutlook: Sendable, Equatable {
    /// Bytes used by the database, its WAL and the journal.
    public var usedBytes: Int64
    /// Bytes still available: the smaller of the file system's free space and what the budget leaves.
    public var availableBytes: Int64
    /// Growth per day over the sampled window (0 when shrinking or unknown).
    public var bytesPerDay: Double
    /// Days until `availableBytes` is used up at that rate; nil when not growing.
    public var daysUntilFull: Double?

    /// True when the disk (or the budget) will be full within `days`.
    public func fullWithin(days: Double) -> Bool {
        guard let daysUntilFull else { return availableBytes <= 0 }
        return daysUntilFull < days
    }
}

/// Samples the gateway's disk use and forecasts, by a least-squares line over the last week of samples, when
/// the disk or the configured budget will be full.
public struct DiskForecast {
    private let db: Connection
    public static let window: Int64 = 7 * 86_400_000

    public init(connection: Connection) {
        self.db = connection
    }

    /// Records one sample (keeps at most one per `minimumSpacing`) and returns the outlook.
    public func sample(now: Int64, usedBytes: Int64, freeBytes: Int64, budgetBytes: Int64?, minimumSpacingMs: Int64 = 3_600_000) throws -> DiskOutlook {
        let last = try db.cached("SELECT max(ts) FROM disk_usage_samples").first { $0.optionalInt(0) } ?? nil
        if last == nil || now - last! >= minimumSpacingMs {
            try db.run("INSERT OR REPLACE INTO disk_usage_samples (ts, used_bytes) VALUES (?, ?)", now, usedBytes)
            try db.run("DELETE FROM disk_usage_samples WHERE ts < ?", now - 4 * Self.window)
        }
        let samples = try db.cached("SELECT ts, used_bytes FROM disk_usage_samples WHERE ts >= ? ORDER BY ts")
            .map([now - Self.window]) { (Double($0.int(0)), Double($0.int(1))) }
        let available = min(freeBytes, budgetBytes.map { $0 - usedBytes } ?? .max)
        let perDay = Self.slopePerDay(samples)
        let days: Double? = perDay > 0 ? Double(max(available, 0)) / perDay : nil
        return DiskOutlook(usedBytes: usedBytes, availableBytes: available, bytesPerDay: max(perDay, 0), daysUntilFull: days)
    }

    /// Least-squares slope of bytes over time, in bytes per day.
    static func slopePerDay(_ samples: [(Double, Double)]) -> Double {
        guard samples.count >= 2 else { return 0 }
        let n = Double(samples.count)
        let meanX = samples.map(\.0).reduce(0, +) / n
        let meanY = samples.map(\.1).reduce(0, +) / n
        var numerator = 0.0
        var denominator = 0.0
        for (x, y) in samples {
            numerator += (x - meanX) * (y - meanY)
            denominator += (x - meanX) * (x - meanX)
        }
        guard denominator > 0 else { return 0 }
        return numerator / denominator * 86_400_000
    }
}
