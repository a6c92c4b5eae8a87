import SQLiteDB

/// Commune-wide totals per domain, metric and day or month, kept beside the per-series rollups so that the
/// dashboard's "consumption per domain this month" reads a few hundred rows instead of every series' days.
///
/// A domain's day (or month) is recomputed from its series' rows whenever one of them changes (at the rollup
/// refresh), and everything is rebuilt when the inventory moves series between domains.
struct DomainRollups {
    private struct Bucket: Hashable {
        let period: RollupPeriod
        let start: Int64
    }

    /// Whether each series is bound to an asset (only those count in a domain).
    private var seriesIsBound: [Int64: Bool] = [:]
    /// Days and months whose totals must be recomputed.
    private var touched: Set<Bucket> = []

    /// Notes that the `period` rollup of `series` starting at `bucket` changed.
    mutating func touch(series: Int64, period: RollupPeriod, bucket: Int64, db: Connection) throws {
        if seriesIsBound[series] == nil {
            seriesIsBound[series] = try db.cached("SELECT 1 FROM series s JOIN assets a ON a.id = s.asset_id WHERE s.id = ?")
                .first([series]) { _ in true } ?? false
        }
        guard seriesIsBound[series] == true else { return }
        touched.insert(Bucket(period: period, start: bucket))
    }

    /// True when touched totals wait to be recomputed.
    var hasPendingWork: Bool { !touched.isEmpty }

    /// Recomputes the totals of every touched day and month: one statement per period and bucket, which groups all
    /// the commune's series of that day at once (a day of thousands of series is read once, not once per domain).
    func flush(db: Connection) throws {
        for bucket in touched.sorted(by: { ($0.period.rawValue, $0.start) < ($1.period.rawValue, $1.start) }) {
            // The period is written into the SQL so that the partial index of days (or months) by time is used.
            try db.cached("""
                INSERT OR REPLACE INTO domain_rollups (domain, metric, unit, period, bucket_start, count, sum, min, max, consumption)
                SELECT a.domain, s.metric, s.unit, \(bucket.period.rawValue), ?1, sum(r.count), sum(r.sum), min(r.min), max(r.max), sum(r.consumption)
                FROM rollups r INDEXED BY \(Self.index(bucket.period)) JOIN series s ON s.id = r.series_id JOIN assets a ON a.id = s.asset_id
                WHERE r.period = \(bucket.period.rawValue) AND r.bucket_start = ?1
                GROUP BY a.domain, s.metric, s.unit
                """).execute([bucket.start])
        }
    }

    /// The transaction `flush` wrote into committed.
    mutating func committed() {
        touched.removeAll(keepingCapacity: true)
    }

    /// Forgets which domain each series is in (after an inventory change).
    mutating func forgetBindings() {
        seriesIsBound.removeAll()
    }

    /// Rebuilds every domain total from the series' days and months.
    static func rebuild(db: Connection) throws {
        try db.execute("""
            DELETE FROM domain_rollups;
            INSERT INTO domain_rollups (domain, metric, unit, period, bucket_start, count, sum, min, max, consumption)
            SELECT a.domain, s.metric, s.unit, r.period, r.bucket_start, sum(r.count), sum(r.sum), min(r.min), max(r.max), sum(r.consumption)
            FROM rollups r JOIN series s ON s.id = r.series_id JOIN assets a ON a.id = s.asset_id
            WHERE r.period IN (2, 3)
            GROUP BY a.domain, s.metric, s.unit, r.period, r.bucket_start;
            """)
    }

    private static func index(_ period: RollupPeriod) -> String {
        period == .month ? "rollups_months_by_time" : "rollups_days_by_time"
    }
}
