import Assets
import SQLiteDB

/// Deletes what the retention policy no longer keeps, a small chunk at a time, so that a purge never holds the
/// database for long (ingest waits at most one chunk) and never rewrites the file: freed pages are reused by
/// new rows, and handed back to the file system a few at a time with `incremental_vacuum`.
public final class RetentionPurger {
    private let db: Connection
    private let policy: RetentionPolicy
    private let chunk: Int
    private var seriesCursor: Int64 = 0
    private var deviceCursor: Int64 = 0

    private static let dayMs: Int64 = 86_400_000

    public init(connection: Connection, policy: RetentionPolicy, chunk: Int = 2_000) {
        self.db = connection
        self.policy = policy
        self.chunk = chunk
    }

    /// Deletes at most about `chunk` rows of each kind of expired data, in one short transaction.
    /// Returns the number of rows deleted; 0 means nothing is left to purge right now.
    @discardableResult
    public func step(now: Int64) throws -> Int {
        try db.transaction {
            var deleted = 0
            if policy.rawDays > 0 {
                let cutoffHour = MeasurementHour.of(now - Int64(policy.rawDays) * Self.dayMs)
                deleted += try deleteMeasurements(beforeHour: cutoffHour)
                if let device = try next(after: &deviceCursor, in: "devices") {
                    deleted += try deleteDeviceHours(device: device, beforeHour: cutoffHour)
                }
            }
            if policy.hourlyDays > 0 {
                deleted += try deleteHourlyRollups(before: now - Int64(policy.hourlyDays) * Self.dayMs)
            }
            if let series = try next(after: &seriesCursor, in: "series") {
                for (period, days) in [(RollupPeriod.day, policy.dailyDays), (.month, policy.monthlyDays)] where days > 0 {
                    deleted += try deleteRollups(series: series, period: period, before: now - Int64(days) * Self.dayMs)
                }
            }
            if policy.rejectedDays > 0 {
                deleted += try db.run("""
                    DELETE FROM rejected_messages WHERE id IN
                    (SELECT id FROM rejected_messages WHERE received_at < ? ORDER BY id LIMIT ?)
                    """, now - Int64(policy.rejectedDays) * Self.dayMs, chunk)
            }
            if deleted > 0 {
                try db.run("INSERT INTO ingest_counters (name, value) VALUES ('rows_purged', ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value", deleted)
            }
            return deleted
        }
    }

    /// Purges everything expired, step by step (for `pmc-gateway purge` and tests).
    @discardableResult
    public func purgeAll(now: Int64) throws -> Int {
        let rounds = Int(try db.scalarInt("SELECT max((SELECT count(*) FROM series), (SELECT count(*) FROM devices))") ?? 0)
        var total = 0
        var idleSteps = 0
        // Every series and every device must be visited once with nothing left before stopping.
        while idleSteps <= rounds {
            let deleted = try step(now: now)
            total += deleted
            idleSteps = deleted == 0 ? idleSteps + 1 : 0
        }
        try releaseFreePages()
        return total
    }

    /// Returns up to `pages` free pages to the file system (only with `auto_vacuum = INCREMENTAL`).
    public func releaseFreePages(pages: Int = 1_000) throws {
        try db.execute("PRAGMA incremental_vacuum(\(pages))")
    }

    /// The row id of `table` (series or devices) after the cursor, round-robin.
    private func next(after cursor: inout Int64, in table: String) throws -> Int64? {
        if let next = try db.cached("SELECT id FROM \(table) WHERE id > ? ORDER BY id LIMIT 1").first([cursor], { $0.int(0) }) {
            cursor = next
            return next
        }
        let first = try db.scalarInt("SELECT min(id) FROM \(table)")
        cursor = first ?? 0
        return first
    }

    /// Deletes the oldest measurements of the hours before `hour`. Whole hours: a reading is kept up to an hour
    /// longer than the policy says.
    private func deleteMeasurements(beforeHour hour: Int64) throws -> Int {
        try deleteFront(of: "measurements", key: ["hour", "device_id", "ts"], before: hour)
    }

    private func deleteHourlyRollups(before cutoff: Int64) throws -> Int {
        try deleteFront(of: "hourly_rollups", key: ["bucket_start", "series_id"], before: cutoff)
    }

    /// Deletes one device's hours before `hour` from `device_hours`.
    private func deleteDeviceHours(device: Int64, beforeHour hour: Int64) throws -> Int {
        try deleteOldest(from: "device_hours", owner: "device_id = ?1", id: device, column: "hour", before: hour)
    }

    /// Deletes the oldest rollups of one series and period before `cutoff`.
    /// The period is a literal (one statement per period): with a bound one, SQLite would recompile the statement
    /// at every execution, as the partial indexes of days and months may or may not apply.
    private func deleteRollups(series: Int64, period: RollupPeriod, before cutoff: Int64) throws -> Int {
        try deleteOldest(from: "rollups", owner: "series_id = ?1 AND period = \(period.rawValue)", id: series, column: "bucket_start", before: cutoff)
    }

    /// Deletes at most `chunk` rows of a table keyed by time first (`key`, its primary key, leads with time), those
    /// whose time is before `bound`: the front of the table, found through the primary key.
    private func deleteFront(of table: String, key: [String], before bound: Int64) throws -> Int {
        let columns = key.joined(separator: ", ")
        return try db.cached("""
            DELETE FROM \(table) WHERE (\(columns)) IN
                (SELECT \(columns) FROM \(table) WHERE \(key[0]) < ? ORDER BY \(columns) LIMIT ?)
            """).execute([bound, chunk])
    }

    /// Deletes, among the rows of one owner (`owner`, with ?1 bound to `id`: a prefix of the primary key), the
    /// oldest `chunk` whose `column` is before `bound`, through the primary key: no table scan.
    private func deleteOldest(from table: String, owner: String, id: Int64, column: String, before bound: Int64) throws -> Int {
        try db.cached("""
            DELETE FROM \(table) WHERE \(owner) AND \(column) < ?2 AND \(column) <= coalesce(
                (SELECT \(column) FROM \(table) WHERE \(owner) AND \(column) < ?2 ORDER BY \(column) LIMIT 1 OFFSET ?3), ?2)
            """).execute([id, bound, chunk - 1])
    }
}
