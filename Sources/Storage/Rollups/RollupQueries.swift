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
        var sql = """
            SELECT r.bucket_start, s.unit, sum(r.count), sum(r.sum) / sum(r.count), min(r.min), max(r.max), sum(r.consumption)
            FROM rollups r JOIN series s ON s.id = r.series_id
            """
        var values: [any SQLBindable] = []
        if let device {
            sql += " JOIN devices d ON d.id = s.device_id WHERE d.key = ?"
            values.append(device)
        } else {
            sql += " WHERE s.asset_id = ?"
            values.append(asset ?? "")
        }
        sql += " AND s.metric = ? AND r.period = ? AND r.bucket_start >= ? AND r.bucket_start < ? GROUP BY r.bucket_start, s.unit ORDER BY r.bucket_start"
        values += [metric, period.rawValue, from, to] as [any SQLBindable]
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
