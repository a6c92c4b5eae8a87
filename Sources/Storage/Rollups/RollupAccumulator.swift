import SQLiteDB

/// Keeps the hourly, daily and monthly aggregates of every series up to date as readings are stored.
///
/// Hourly rows are updated with each batch, from increments summed in memory (one upsert per series and hour,
/// however many readings). Daily rows are recomputed from their hours and monthly rows from their days, for
/// the days and months touched, at most every `refreshInterval`: this keeps the write cost of a reading close
/// to one row whatever the number of periods. A late reading updates its hour like any other; a late counter
/// reading also has its hour's consumption (and the next reading's hour) recomputed from the raw readings.
///
/// Counter consumption over a period is the sum of the increases between consecutive readings that end in the
/// period; a decrease is a reset (or a meter replaced by one starting near zero): the new value counts as the
/// increase since the reset, and `counter_resets` is counted.
final class RollupAccumulator {
    private struct Key: Hashable {
        let series: Int64
        let bucket: Int64
    }

    private struct HourDelta {
        var count: Int64 = 0
        var sum = 0.0
        var min = Double.infinity
        var max = -Double.infinity
        var firstTime = Int64.max
        var firstValue = 0.0
        var lastTime = Int64.min
        var lastValue = 0.0
        /// Counter increase ending in this hour; nil for gauges and states.
        var consumption: Double?

        mutating func add(time: Int64, value: Double) {
            count += 1
            sum += value
            min = Swift.min(min, value)
            max = Swift.max(max, value)
            if time < firstTime { firstTime = time; firstValue = value }
            if time > lastTime { lastTime = time; lastValue = value }
        }
    }

    let calendar: CommuneCalendar
    private let refreshInterval: Int64
    private var hours: [Key: HourDelta] = [:]
    /// Hours whose counter consumption must be recomputed from raw readings (late counter readings).
    private var hoursToRecompute: Set<Key> = []
    private var daysToRefresh: Set<Key> = []
    private var monthsToRefresh: Set<Key> = []
    private var lastRefresh: Int64 = 0
    /// Set by a `flush` that refreshed days and months, until its transaction commits.
    private var refreshedAt: Int64?
    private var domains = DomainRollups()
    /// The newest reading of each counter series, to compute the increase of the next one.
    private var counterTail: [Int64: (time: Int64, value: Double)] = [:]

    init(calendar: CommuneCalendar, refreshIntervalMs: Int64 = 30_000) {
        self.calendar = calendar
        self.refreshInterval = refreshIntervalMs
    }

    /// Records a stored reading. Returns true when a counter went down (a reset).
    func add(series: Int64, isCounter: Bool, time: Int64, value: Double, db: Connection) throws -> Bool {
        let hour = calendar.bucket(.hour, containing: time).start
        let key = Key(series: series, bucket: hour)
        hours[key, default: HourDelta()].add(time: time, value: value)
        daysToRefresh.insert(Key(series: series, bucket: calendar.bucket(.day, containing: time).start))
        guard isCounter else { return false }
        if hours[key]!.consumption == nil { hours[key]!.consumption = 0 } // a counter's period always has a consumption
        var tail = counterTail[series]
        if tail == nil {
            // First reading of this series since start: is it the newest, or a late one?
            if try nextReadingTime(series: series, after: time, db: db) != nil {
                try markLate(key, series: series, time: time, db: db)
                counterTail[series] = try newestReading(series: series, db: db)
                return false
            }
            tail = try previousReading(series: series, before: time, db: db)
        }
        guard let previous = tail else {
            counterTail[series] = (time, value) // the first reading ever: no increase to count yet
            return false
        }
        guard time > previous.time else {
            try markLate(key, series: series, time: time, db: db)
            return false
        }
        counterTail[series] = (time, value)
        let increase = value >= previous.value ? value - previous.value : value
        hours[key]!.consumption = (hours[key]!.consumption ?? 0) + increase
        return value < previous.value
    }

    /// True when days or months wait to be recomputed.
    var hasPendingRefresh: Bool { !daysToRefresh.isEmpty || !monthsToRefresh.isEmpty }

    /// A late counter reading changes the increases around it: its hour and the next reading's are recomputed.
    private func markLate(_ key: Key, series: Int64, time: Int64, db: Connection) throws {
        hoursToRecompute.insert(key)
        if let next = try nextReadingTime(series: series, after: time, db: db) {
            hoursToRecompute.insert(Key(series: series, bucket: calendar.bucket(.hour, containing: next).start))
        }
    }

    /// Writes the batch's hourly increments; refreshes days and months if due (or if `force`).
    func flush(db: Connection, now: Int64, force: Bool = false) throws {
        let upsert = try db.cached("""
            INSERT INTO rollups (series_id, period, bucket_start, count, sum, min, max, first_ts, first_value, last_ts, last_value, consumption)
            VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(series_id, period, bucket_start) DO UPDATE SET
                count = count + excluded.count, sum = sum + excluded.sum,
                min = min(min, excluded.min), max = max(max, excluded.max),
                first_value = CASE WHEN excluded.first_ts < first_ts THEN excluded.first_value ELSE first_value END,
                first_ts = min(first_ts, excluded.first_ts),
                last_value = CASE WHEN excluded.last_ts > last_ts THEN excluded.last_value ELSE last_value END,
                last_ts = max(last_ts, excluded.last_ts),
                consumption = CASE WHEN excluded.consumption IS NULL THEN consumption ELSE coalesce(consumption, 0) + excluded.consumption END
            """)
        // In key order: consecutive upserts then touch the same B-tree pages.
        for (key, delta) in hours.sorted(by: { ($0.key.series, $0.key.bucket) < ($1.key.series, $1.key.bucket) }) {
            try upsert.execute([key.series, key.bucket, delta.count, delta.sum, delta.min, delta.max, delta.firstTime,
                                delta.firstValue, delta.lastTime, delta.lastValue, delta.consumption.map(SQLValue.real) ?? .null])
        }
        hours.removeAll(keepingCapacity: true)
        for key in hoursToRecompute {
            try recomputeHourConsumption(key, db: db)
            daysToRefresh.insert(Key(series: key.series, bucket: calendar.bucket(.day, containing: key.bucket).start))
        }
        // What is recomputed here is only done once the transaction commits (`committed()`): after a rollback the
        // same hours, days and months are recomputed with the next batch.
        refreshedAt = nil
        guard force || now - lastRefresh >= refreshInterval else { return }
        refreshedAt = now
        for day in daysToRefresh {
            try refresh(.day, start: day.bucket, end: calendar.bucket(.day, containing: day.bucket).end, from: .hour, series: day.series, db: db)
            try domains.touch(series: day.series, period: .day, bucket: day.bucket, db: db)
            monthsToRefresh.insert(Key(series: day.series, bucket: calendar.bucket(.month, containing: day.bucket).start))
        }
        for month in monthsToRefresh {
            try refresh(.month, start: month.bucket, end: calendar.bucket(.month, containing: month.bucket).end, from: .day, series: month.series, db: db)
            try domains.touch(series: month.series, period: .month, bucket: month.bucket, db: db)
        }
        try domains.flush(db: db)
    }

    /// The transaction that `flush` wrote into committed: its work is done.
    func committed() {
        hoursToRecompute.removeAll(keepingCapacity: true)
        guard let refreshedAt else { return }
        lastRefresh = refreshedAt
        daysToRefresh.removeAll(keepingCapacity: true)
        monthsToRefresh.removeAll(keepingCapacity: true)
        self.refreshedAt = nil
    }

    /// Forgets which domain each series is in (the inventory changed).
    func forgetBindings() {
        domains.forgetBindings()
    }

    /// Forgets in-memory state after a rolled-back batch.
    func reset() {
        hours.removeAll()
        counterTail.removeAll()
        refreshedAt = nil
    }

    private func previousReading(series: Int64, before time: Int64, db: Connection) throws -> (time: Int64, value: Double)? {
        try db.cached("SELECT ts, value FROM readings WHERE series_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1")
            .first([series, time]) { ($0.int(0), $0.double(1)) }
    }

    private func newestReading(series: Int64, db: Connection) throws -> (time: Int64, value: Double)? {
        try db.cached("SELECT ts, value FROM readings WHERE series_id = ? ORDER BY ts DESC LIMIT 1").first([series]) { ($0.int(0), $0.double(1)) }
    }

    private func nextReadingTime(series: Int64, after time: Int64, db: Connection) throws -> Int64? {
        try db.cached("SELECT ts FROM readings WHERE series_id = ? AND ts > ? ORDER BY ts LIMIT 1").first([series, time]) { $0.int(0) }
    }

    /// The exact increase of a counter over one hour, from the raw readings (and the one before the hour).
    private func recomputeHourConsumption(_ key: Key, db: Connection) throws {
        let end = calendar.bucket(.hour, containing: key.bucket).end
        var previous = try previousReading(series: key.series, before: key.bucket, db: db)?.value
        var consumption = 0.0
        try db.cached("SELECT value FROM readings WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts").forEach([key.series, key.bucket, end]) { row in
            let value = row.double(0)
            if let last = previous { consumption += value >= last ? value - last : value }
            previous = value
        }
        try db.run("UPDATE rollups SET consumption = ? WHERE series_id = ? AND period = 1 AND bucket_start = ?", consumption, key.series, key.bucket)
    }

    /// Recomputes one day (from its hours) or one month (from its days).
    private func refresh(_ period: RollupPeriod, start: Int64, end: Int64, from child: RollupPeriod, series: Int64, db: Connection) throws {
        try db.cached("""
            INSERT INTO rollups (series_id, period, bucket_start, count, sum, min, max, first_ts, first_value, last_ts, last_value, consumption)
            SELECT ?1, ?2, ?3, sum(count), sum(sum), min(min), max(max),
                   min(first_ts), (SELECT first_value FROM rollups WHERE series_id = ?1 AND period = ?4 AND bucket_start >= ?3 AND bucket_start < ?5 ORDER BY first_ts LIMIT 1),
                   max(last_ts), (SELECT last_value FROM rollups WHERE series_id = ?1 AND period = ?4 AND bucket_start >= ?3 AND bucket_start < ?5 ORDER BY last_ts DESC LIMIT 1),
                   sum(consumption)
            FROM rollups WHERE series_id = ?1 AND period = ?4 AND bucket_start >= ?3 AND bucket_start < ?5
            HAVING count(*) > 0
            ON CONFLICT(series_id, period, bucket_start) DO UPDATE SET
                count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
                first_ts = excluded.first_ts, first_value = excluded.first_value,
                last_ts = excluded.last_ts, last_value = excluded.last_value, consumption = excluded.consumption
            """).execute([series, period.rawValue, start, child.rawValue, end])
    }
}
