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
            if let series = try nextSeries() {
                if policy.rawDays > 0 {
                    deleted += try deleteRange(table: "readings", key: "ts", series: series, period: nil, before: now - Int64(policy.rawDays) * Self.dayMs)
                }
                for (period, days) in [(RollupPeriod.hour, policy.hourlyDays), (.day, policy.dailyDays), (.month, policy.monthlyDays)] where days > 0 {
                    deleted += try deleteRange(table: "rollups", key: "bucket_start", series: series, period: period, before: now - Int64(days) * Self.dayMs)
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
        let seriesCount = Int(try db.scalarInt("SELECT count(*) FROM series") ?? 0)
        var total = 0
        var idleSteps = 0
        // Every series must be visited once with nothing left before stopping.
        while idleSteps <= seriesCount {
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

    /// The series after the last one visited, round-robin.
    private func nextSeries() throws -> Int64? {
        if let next = try db.cached("SELECT id FROM series WHERE id > ? ORDER BY id LIMIT 1").first([seriesCursor], { $0.int(0) }) {
            seriesCursor = next
            return next
        }
        let first = try db.scalarInt("SELECT min(id) FROM series")
        seriesCursor = first ?? 0
        return first
    }

    /// Deletes the oldest rows of one series (and period) before `cutoff`, at most `chunk` of them, through the
    /// primary key: no table scan.
    private func deleteRange(table: String, key: String, series: Int64, period: RollupPeriod?, before cutoff: Int64) throws -> Int {
        let periodClause = period == nil ? "" : " AND period = \(period!.rawValue)"
        return try db.cached("""
            DELETE FROM \(table) WHERE series_id = ?1\(periodClause) AND \(key) < ?2 AND \(key) <= coalesce(
                (SELECT \(key) FROM \(table) WHERE series_id = ?1\(periodClause) AND \(key) < ?2 ORDER BY \(key) LIMIT 1 OFFSET ?3), ?2)
            """).execute([series, cutoff, chunk - 1])
    }
}
