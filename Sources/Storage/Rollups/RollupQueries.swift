import SQLiteDB

/// One period of aggregated readings, for an asset, a device or a domain.
public struct RollupRow: Sendable, Equatable, Codable {
    /// Start of the local period, in ms since the epoch (UTC).
    public var bucketStart: Int64
    public var metric: String
    public var unit: String
    /// Readings in the period.
    public var count: Int64
    public var mean: Double
    public var min: Double
    public var max: Double
    /// For counters: the increase over the period (energy used, water drawn); nil for gauges.
    public var consumption: Double?
    /// The domain, for commune-wide totals.
    public var domain: String?
}

extension GatewayQueries {
    /// Aggregates of an asset's (or a device's) series of one metric, per period, within `[from, to)`. Several
    /// devices measuring the same metric of one asset are added together (consumption) or averaged (gauges).
    public func rollups(asset: String? = nil, device: String? = nil, metric: String, period: RollupPeriod,
                        from: Int64, to: Int64) throws -> [RollupRow] {
        // Hours are keyed by time first: for each series, each hour in range is looked up by key (local hours are an
        // hour apart, DST or not; the first is the earliest stored at or after `from`, the last no later than the
        // newest stored). CROSS JOIN keeps that order: series first, then hours.
        let hours = CommuneCalendar.hourStarts(from: "(SELECT min(bucket_start) FROM hourly_rollups WHERE bucket_start >= ?)",
                                               below: "min(?, (SELECT max(bucket_start) FROM hourly_rollups) + 1)") + "\n"
        let columns = "SELECT r.bucket_start, s.unit, sum(r.count), sum(r.sum) / sum(r.count), min(r.min), max(r.max), sum(r.consumption)"
        let seriesFilter = device == nil ? "series s" : "devices d CROSS JOIN series s ON s.device_id = d.id"
        var sql = period == .hour
            ? "\(hours)\(columns) FROM \(seriesFilter) CROSS JOIN hour CROSS JOIN hourly_rollups r ON r.bucket_start = hour.start AND r.series_id = s.id"
            : "\(columns) FROM \(seriesFilter) JOIN rollups r ON r.series_id = s.id"
        var values: [any SQLBindable] = period == .hour ? [from, to] : []
        if let device {
            sql += " WHERE d.key = ?"
            values.append(device)
        } else {
            sql += " WHERE s.asset_id = ?"
            values.append(asset ?? "")
        }
        sql += " AND s.metric = ?"
        values.append(metric)
        if period != .hour {
            sql += " AND r.period = ? AND r.bucket_start >= ? AND r.bucket_start < ?"
            values += [period.rawValue, from, to] as [any SQLBindable]
        }
        sql += " GROUP BY r.bucket_start, s.unit ORDER BY r.bucket_start"
        return try connection.cached(sql).map(values) { row in
            RollupRow(bucketStart: row.int(0), metric: metric, unit: row.string(1), count: row.int(2), mean: row.double(3),
                      min: row.double(4), max: row.double(5), consumption: row.optionalDouble(6), domain: nil)
        }
    }

    /// Commune-wide totals of one counter metric per domain and period within `[from, to)` (e.g. daily
    /// electricity per domain over a month).
    public func domainTotals(metric: String, period: RollupPeriod, from: Int64, to: Int64) throws -> [RollupRow] {
        try connection.cached("""
            SELECT domain, bucket_start, unit, count, sum / count, min, max, consumption FROM domain_rollups
            WHERE metric = ? AND period = ? AND bucket_start >= ? AND bucket_start < ?
            ORDER BY domain, bucket_start
            """).map([metric, period.rawValue, from, to]) { row in
            RollupRow(bucketStart: row.int(1), metric: metric, unit: row.string(2), count: row.int(3), mean: row.double(4),
                      min: row.double(5), max: row.double(6), consumption: row.optionalDouble(7), domain: row.string(0))
        }
    }
}
