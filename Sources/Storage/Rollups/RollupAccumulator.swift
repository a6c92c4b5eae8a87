import Foundation
import SQLiteDB

/// Keeps the hourly, daily and monthly aggregates of every series up to date as readings are stored.
///
/// Hourly rows are updated from increments summed in memory (one upsert per series and hour, however many
/// readings). Each series' hour is written at most once per `hourFlushInterval` (2 s): while messages flow steadily,
/// in cycles over the hours in key order, a slice of about 2 ms per batch (so no batch waits for tens of thousands
/// of upserts, and latency stays low); under a backlog, all of them every 2 s. The hours still in memory are listed
/// in `rollup_backlog` with each batch so that, after a crash or a rolled-back batch, they are recomputed exactly
/// from the raw readings (`recoverIfNeeded`). Latest values do not wait for this: they are read from the raw
/// measurements (the `latest` view). Daily rows are recomputed from
/// their hours and monthly rows from their days, in slices of a few milliseconds per batch so that no batch stalls
/// ingest, starting at most every `refreshInterval`. A late reading updates its hour like any other; a late counter
/// reading also has its hour's consumption (and the next reading's hour) recomputed from the raw readings.
///
/// Counter consumption over a period is the sum of the increases between consecutive readings that end in the
/// period; a decrease is a reset (or a meter replaced by one starting near zero): the new value counts as the
/// increase since the reset, and `counter_resets` is counted.
final class RollupAccumulator {
    private typealias Key = RollupKey

    /// How a batch's commit treats the rollups.
    enum FlushMode {
        /// Messages flow steadily: a slice of the hour cycle and of the days and months due.
        case batch
        /// A backlog is being drained: every hour written if `hourFlushInterval` has passed, none otherwise.
        case underLoad
        /// Everything written and refreshed now, whatever the cost (tests, tools, replays).
        case complete
    }

    let calendar: CommuneCalendar
    private let refreshInterval: Int64
    private let hourFlushInterval: Int64
    private let refreshSlice: Int
    /// A slice of `b` ns is followed by at least `sliceSpacing × b` ns without one (the refresh's share of time).
    private let sliceSpacing: UInt64
    /// Unwritten hours beyond this are written even under load (memory stays bounded).
    private let maximumPendingHours: Int
    private var hours = PendingHours(empty: RollupSum())
    /// Hours whose counter consumption must be recomputed from raw readings (late counter readings).
    private var hoursToRecompute: Set<Key> = []
    /// What only memory holds, listed in the database.
    private var backlog = RollupBacklog()
    /// True when this batch wrote every hour (otherwise `hours` marks those it wrote; either way they are removed
    /// from memory when it commits).
    private var allHoursWrittenInBatch = false
    /// Hours created since the last batch (listed in `rollup_backlog` by this one).
    private var newHours: [Key] = []
    /// The hour cycle in progress: the hours in memory when it began, in key order, written a slice per batch.
    private var cycle: [Key] = []
    private var cyclePosition = 0
    private var lastCycleStart: Int64 = 0
    private var cycleInProgress: Bool { cyclePosition < cycle.count }
    private var daysToRefresh: Set<Key> = []
    /// By series: a day known to be in `daysToRefresh` (hours are written in time order, so a series' consecutive
    /// hours mostly share a day: one set insertion per day rather than per hour).
    private var dayMarked = RowIDMap<Int64>()
    private var monthsToRefresh: Set<Key> = []
    /// Keys added to the sets above and not yet listed in `rollup_backlog` by a committed batch.
    private var newDays: [Key] = []
    private var newMonths: [Key] = []
    /// The days and months this batch refreshed (removed from the sets when it commits).
    private var refreshedDays: [Key] = []
    private var refreshedMonths: [Key] = []
    private var domainsFlushedInBatch = false
    private var draining = false
    /// When the last refresh slice ended (uptime ns): slices take at most a tenth of the writer's time.
    private var lastSliceEnd: UInt64 = 0
    private var lastRefresh: Int64 = 0
    /// When the drain in progress (or the last) began.
    private var drainStartedAt: Int64 = 0
    private var domains = DomainRollups()
    /// The newest reading of each counter series, to compute the increase of the next one.
    private var counterTail = RowIDMap<(time: Int64, value: Double)>()
    /// True until `rollup_backlog` has been read (at start, and after a rolled-back batch lost what memory held).
    private var recoveryNeeded = true

    init(calendar: CommuneCalendar, refreshIntervalMs: Int64 = 30_000, hourFlushIntervalMs: Int64 = 2_000,
         refreshSlice: Int = 500, maximumPendingHours: Int = 80_000, sliceSpacing: UInt64 = 10) {
        self.sliceSpacing = sliceSpacing
        self.calendar = calendar
        self.refreshInterval = refreshIntervalMs
        self.hourFlushInterval = hourFlushIntervalMs
        self.refreshSlice = refreshSlice
        self.maximumPendingHours = maximumPendingHours
        // Sized once: a dictionary doubling under load briefly holds both tables. 80,000 entries fit 131,072 buckets
        // (at most 3/4 full: 12 MB); 100,000 took 262,144 (25 MB) of the 150 MB budget. Peak RSS of the benchmark:
        // 65,000 → 135 MB, 95,000 → 160 MB (more upserts per transaction), 95,000 with a 16 MiB page cache → 141 MB.
        hours.reserveCapacity(maximumPendingHours)
    }

    /// Records a stored reading. Returns true when a counter went down (a reset).
    func add(series: Int64, isCounter: Bool, time: Int64, value: Double, db: Connection) throws -> Bool {
        let hour = calendar.bucket(.hour, containing: time).start
        let key = Key(series: series, bucket: hour)
        // This runs for every stored value: usually no hashing (see PendingHours).
        let (index, isNew) = hours.slot(for: key)
        if isNew { newHours.append(key) }
        hours[slot: index].add(time: time, value: value)
        guard isCounter else { return false }
        if hours[slot: index].consumption == nil { hours[slot: index].consumption = 0 } // a counter's period always has a consumption
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
        hours[slot: index].consumption = (hours[slot: index].consumption ?? 0) + increase
        return value < previous.value
    }

    /// True when hours wait to be written, or days, months or domain totals to be recomputed.
    var hasPendingWork: Bool {
        !hours.isEmpty || !hoursToRecompute.isEmpty || !daysToRefresh.isEmpty || !monthsToRefresh.isEmpty || domains.hasPendingWork
    }

    /// True when a `flush` at `now` would have something to do (the idle writer then goes on without waiting).
    func hasWorkDue(now: Int64) -> Bool {
        (!hours.isEmpty && (cycleInProgress || now - lastCycleStart >= hourFlushInterval)) || !hoursToRecompute.isEmpty
            || (draining && DispatchTime.now().uptimeNanoseconds >= lastSliceEnd + sliceSpacing * Self.idleSliceBudget)
            || (!draining && now - lastRefresh >= refreshInterval && (!daysToRefresh.isEmpty || !monthsToRefresh.isEmpty))
    }

    /// True while days and months are being recomputed, slice after slice.
    var isDraining: Bool { draining }

    /// The refresh time a batch gets while messages flow (and an idle writer per slice).
    static let idleSliceBudget: UInt64 = 5_000_000
    /// The time a batch gets to write hours of the cycle while messages flow.
    static let hourSliceBudget: UInt64 = 2_000_000

    /// A late counter reading changes the increases around it: its hour and the next reading's are recomputed.
    private func markLate(_ key: Key, series: Int64, time: Int64, db: Connection) throws {
        hoursToRecompute.insert(key)
        if let next = try nextReadingTime(series: series, after: time, db: db) {
            hoursToRecompute.insert(Key(series: series, bucket: calendar.bucket(.hour, containing: next).start))
        }
    }

    /// Writes hourly increments (all, a slice of the cycle, or none) and refreshes a slice of the days and months due.
    func flush(db: Connection, now: Int64, mode: FlushMode) throws {
        hours.clearWrittenMarks()
        allHoursWrittenInBatch = false
        domainsFlushedInBatch = false
        refreshedDays.removeAll(keepingCapacity: true)
        refreshedMonths.removeAll(keepingCapacity: true)
        if mode == .complete || hours.count >= maximumPendingHours || (mode == .underLoad && now - lastCycleStart >= hourFlushInterval) {
            // Under a backlog each series' newest hour is still filling: it waits, to be written once.
            try writeAllHours(db: db, now: now, keepingNewest: mode == .underLoad)
        } else {
            try writeRecomputedHours(db: db)
            let cycleEnded = mode == .batch ? try writeHourSlice(db: db, now: now) : false
            if cycleEnded {
                // Every hour listed before the cycle began is written: list afresh what memory still holds.
                try backlog.clear(.hour, db: db)
                try backlog.list(hours.liveSlots.filter { !hours.isWritten(slot: $0) }.map(hours.key(ofSlot:)), period: .hour, db: db)
            } else {
                try backlog.list(newHours, period: .hour, db: db)
            }
        }
        // A batch while messages flow gets a few milliseconds of refresh (latency); one under a backlog, more.
        try refreshSlice(db: db, now: now, complete: mode == .complete, budgetNanoseconds: mode == .underLoad ? 50_000_000 : Self.idleSliceBudget)
        // Days and months still waiting once this batch commits must survive a crash.
        if daysToRefresh.count == refreshedDays.count, monthsToRefresh.count == refreshedMonths.count {
            try backlog.clear(.day, db: db)
            try backlog.clear(.month, db: db)
        } else {
            // Only the keys added since the last listing: the sets hold tens of thousands under load.
            try backlog.list(newDays, period: .day, db: db)
            try backlog.list(newMonths, period: .month, db: db)
        }
    }

    /// Recomputes days and months: all of them if `complete`, otherwise, when a refresh is due, one slice of at
    /// most `refreshSlice` rows and about `budgetNanoseconds`.
    private func refreshSlice(db: Connection, now: Int64, complete: Bool, budgetNanoseconds: UInt64) throws {
        if complete {
            try refresh(days: Array(daysToRefresh), db: db, deadline: .max)
            try refresh(months: Array(monthsToRefresh), db: db, deadline: .max)
            try domains.flush(db: db)
            domainsFlushedInBatch = true
            return
        }
        if !draining, now - lastRefresh >= refreshInterval, !daysToRefresh.isEmpty || !monthsToRefresh.isEmpty {
            draining = true
            drainStartedAt = now
        }
        let started = DispatchTime.now().uptimeNanoseconds
        guard draining, started >= lastSliceEnd + sliceSpacing * budgetNanoseconds else { return }
        defer { lastSliceEnd = DispatchTime.now().uptimeNanoseconds }
        // Days first, then their months: a month is recomputed once its days are.
        let deadline = started + budgetNanoseconds
        if !daysToRefresh.isEmpty {
            try refresh(days: Array(daysToRefresh.prefix(refreshSlice)), db: db, deadline: deadline)
        }
        let left = refreshSlice - refreshedDays.count
        if left > 0, daysToRefresh.count == refreshedDays.count, DispatchTime.now().uptimeNanoseconds < deadline {
            try refresh(months: Array(monthsToRefresh.prefix(left)), db: db, deadline: deadline)
        }
        // Domain totals once the days and months are done (each scans a whole day of the commune), or when a drain
        // under a sustained load lasts longer than the refresh interval.
        let drained = daysToRefresh.count == refreshedDays.count && monthsToRefresh.count == refreshedMonths.count
        if drained || now - drainStartedAt >= refreshInterval {
            try domains.flush(db: db)
            domainsFlushedInBatch = true
            if !drained { drainStartedAt = now }
        }
    }

    /// Upserts the hours summed in memory, in time order (`hourly_rollups` is keyed by time first: consecutive
    /// upserts touch the same B-tree pages), after the hours late counter readings changed (`writeRecomputedHours`).
    /// - Parameter keepingNewest: each series' newest hour stays in memory (listed in `rollup_backlog`): while a
    ///   backlog drains, readings keep arriving for it, and writing it now would mean upserting it again later
    ///   (halves the upserts of the benchmark's backlog). Not when that would keep half the cap or more.
    private func writeAllHours(db: Connection, now: Int64, keepingNewest: Bool) throws {
        try writeRecomputedHours(db: db)
        // Sorting slots, not (key, delta) pairs: under load there are tens of thousands of them, and memory counts.
        let slots = hours.liveSlots.filter { !hours.isWritten(slot: $0) }.sorted {
            let (a, b) = (hours.key(ofSlot: $0), hours.key(ofSlot: $1))
            return (a.series, a.bucket) < (b.series, b.bucket)
        }
        // In key order, a series' newest hour is the one the next key does not share the series with.
        func isNewest(_ index: Int) -> Bool {
            index + 1 == slots.count || hours.key(ofSlot: slots[index + 1]).series != hours.key(ofSlot: slots[index]).series
        }
        var newestCount = 0
        if keepingNewest { for index in slots.indices where isNewest(index) { newestCount += 1 } }
        let keepNewest = newestCount > 0 && newestCount < maximumPendingHours / 2
        var kept: [Key] = []
        var toWrite: [Int] = []
        toWrite.reserveCapacity(slots.count - (keepNewest ? newestCount : 0))
        for (index, slot) in slots.enumerated() {
            if keepNewest, isNewest(index) { kept.append(hours.key(ofSlot: slot)) } else { toWrite.append(slot) }
        }
        toWrite.sort { Self.inTimeOrder(hours.key(ofSlot: $0), hours.key(ofSlot: $1)) }
        let upsert = try db.cached(Self.upsertHour)
        for slot in toWrite {
            try writeHour(hours.key(ofSlot: slot), hours[slot: slot], upsert: upsert)
            if keepNewest { hours.markWritten(slot: slot) }
        }
        try backlog.clear(.hour, db: db)
        if keepNewest {
            try backlog.list(kept, period: .hour, db: db)
        } else {
            allHoursWrittenInBatch = true
        }
        cycle.removeAll()
        cyclePosition = 0
        lastCycleStart = now
    }

    /// The hours late counter readings changed: their sums in memory first, then their exact consumption from the
    /// raw readings (which already counts the increases summed in memory).
    private func writeRecomputedHours(db: Connection) throws {
        for key in hoursToRecompute {
            if let slot = hours.existingSlot(for: key), !hours.isWritten(slot: slot) {
                try writeHour(key, hours[slot: slot], upsert: db.cached(Self.upsertHour))
                hours.markWritten(slot: slot)
            }
            try recomputeHourConsumption(key, db: db)
            markDay(Key(series: key.series, bucket: calendar.bucket(.day, containing: key.bucket).start))
        }
    }

    /// Writes the next hours of the cycle for about `hourSliceBudget`, starting a cycle when none is in progress
    /// and the last began `hourFlushInterval` ago. Returns true when this slice ended the cycle.
    private func writeHourSlice(db: Connection, now: Int64) throws -> Bool {
        if !cycleInProgress {
            cycle.removeAll(keepingCapacity: true)
            cyclePosition = 0
            guard !hours.isEmpty, now - lastCycleStart >= hourFlushInterval else { return false }
            cycle.append(contentsOf: hours.keys)
            cycle.sort(by: Self.inTimeOrder)
            lastCycleStart = now
        }
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.hourSliceBudget
        let upsert = try db.cached(Self.upsertHour)
        while cycleInProgress {
            let key = cycle[cyclePosition]
            cyclePosition += 1
            if let slot = hours.existingSlot(for: key), !hours.isWritten(slot: slot) {
                try writeHour(key, hours[slot: slot], upsert: upsert)
                hours.markWritten(slot: slot)
            }
            if cyclePosition % 64 == 0, DispatchTime.now().uptimeNanoseconds >= deadline { break }
        }
        return !cycleInProgress
    }

    /// Adds an hour's sums to its row (`upsert`: the statement of `upsertHour`, prepared once per flush).
    private func writeHour(_ key: Key, _ delta: RollupSum, upsert: Statement) throws {
        upsert.reset()
        upsert.bind(key.series, at: 1)
        upsert.bind(key.bucket, at: 2)
        upsert.bind(delta.count, at: 3)
        upsert.bind(delta.sum, at: 4)
        upsert.bind(delta.min, at: 5)
        upsert.bind(delta.max, at: 6)
        upsert.bind(delta.first.time, at: 7)
        upsert.bind(delta.first.value, at: 8)
        upsert.bind(delta.last.time, at: 9)
        upsert.bind(delta.last.value, at: 10)
        if let consumption = delta.consumption { upsert.bind(consumption, at: 11) } else { upsert.bindNull(at: 11) }
        try upsert.run()
        markDay(Key(series: key.series, bucket: calendar.bucket(.day, containing: key.bucket).start))
    }

    /// The order of `hourly_rollups`' key.
    private static func inTimeOrder(_ a: Key, _ b: Key) -> Bool { (a.bucket, a.series) < (b.bucket, b.series) }

    private static let upsertHour = """
        INSERT INTO hourly_rollups (series_id, bucket_start, \(aggregateColumns))
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(bucket_start, series_id) DO UPDATE SET
            count = count + excluded.count, sum = sum + excluded.sum,
            min = min(min, excluded.min), max = max(max, excluded.max),
            first_value = CASE WHEN excluded.first_ts < first_ts THEN excluded.first_value ELSE first_value END,
            first_ts = min(first_ts, excluded.first_ts),
            last_value = CASE WHEN excluded.last_ts > last_ts THEN excluded.last_value ELSE last_value END,
            last_ts = max(last_ts, excluded.last_ts),
            consumption = CASE WHEN excluded.consumption IS NULL THEN consumption ELSE coalesce(consumption, 0) + excluded.consumption END
        """

    private func markDay(_ day: Key) {
        if dayMarked[day.series] == day.bucket { return }
        if daysToRefresh.insert(day).inserted { newDays.append(day) }
        dayMarked[day.series] = day.bucket
    }

    /// Recomputes `days` in order until `deadline` (uptime ns) has passed, at least one.
    private func refresh(days: [Key], db: Connection, deadline: UInt64) throws {
        for day in days {
            try refresh(.day, start: day.bucket, end: calendar.bucket(.day, containing: day.bucket).end, series: day.series, db: db)
            try domains.touch(series: day.series, period: .day, bucket: day.bucket, db: db)
            let month = Key(series: day.series, bucket: calendar.bucket(.month, containing: day.bucket).start)
            if monthsToRefresh.insert(month).inserted { newMonths.append(month) }
            refreshedDays.append(day)
            if deadline != .max, DispatchTime.now().uptimeNanoseconds >= deadline { return }
        }
    }

    /// Recomputes `months` in order until `deadline` (uptime ns) has passed, at least one.
    private func refresh(months: [Key], db: Connection, deadline: UInt64) throws {
        for month in months {
            try refresh(.month, start: month.bucket, end: calendar.bucket(.month, containing: month.bucket).end, series: month.series, db: db)
            try domains.touch(series: month.series, period: .month, bucket: month.bucket, db: db)
            refreshedMonths.append(month)
            if deadline != .max, DispatchTime.now().uptimeNanoseconds >= deadline { return }
        }
    }

    /// The transaction that `flush` wrote into committed: its work is done.
    ///
    /// What a flush wrote is only forgotten here: after a rollback the same hours, days and months are written
    /// again with the next batch.
    func committed(now: Int64) {
        backlog.committed()
        // Listed by this batch, or refreshed by it (`clear`): either way nothing is left to list.
        newDays.removeAll(keepingCapacity: true)
        newMonths.removeAll(keepingCapacity: true)
        if allHoursWrittenInBatch {
            hours.removeAll()
        } else {
            hours.removeWritten()
        }
        hoursToRecompute.removeAll(keepingCapacity: true)
        newHours.removeAll(keepingCapacity: true)
        for day in refreshedDays {
            daysToRefresh.remove(day)
            if dayMarked[day.series] == day.bucket { dayMarked[day.series] = .min }
        }
        for month in refreshedMonths { monthsToRefresh.remove(month) }
        refreshedDays.removeAll(keepingCapacity: true)
        refreshedMonths.removeAll(keepingCapacity: true)
        if domainsFlushedInBatch { domains.committed() }
        if draining, daysToRefresh.isEmpty, monthsToRefresh.isEmpty {
            draining = false
            lastRefresh = now
        }
    }

    /// Forgets which domain each series is in (the inventory changed).
    func forgetBindings() {
        domains.forgetBindings()
    }

    /// Forgets in-memory state after a rolled-back batch. Hours summed by earlier, committed batches are lost with
    /// it: they are listed in `rollup_backlog`, and recomputed from the readings when the next batch begins.
    func reset() {
        // Also when this batch did the recovery: its DELETE of the backlog is rolled back too.
        recoveryNeeded = true
        backlog.rolledBack()
        hours.removeAll()
        newHours.removeAll()
        cycle.removeAll()
        cyclePosition = 0
        hoursToRecompute.removeAll()
        refreshedDays.removeAll()
        refreshedMonths.removeAll()
        counterTail.removeAll()
    }

    /// Takes back what `rollup_backlog` lists, after a crash or a rollback: unwritten hours are recomputed from the
    /// raw readings, days and months wait for the next refresh again. Called at the start of a batch, before it adds
    /// anything.
    func recoverIfNeeded(db: Connection) throws {
        guard recoveryNeeded else { return }
        let stored = try backlog.load(db: db)
        let unwritten = stored[.hour] ?? []
        for key in unwritten.sorted(by: Self.inTimeOrder) {
            try recomputeHour(key, db: db)
            markDay(Key(series: key.series, bucket: calendar.bucket(.day, containing: key.bucket).start))
        }
        if !unwritten.isEmpty { try backlog.clear(.hour, db: db) }
        daysToRefresh.formUnion(stored[.day] ?? [])
        monthsToRefresh.formUnion(stored[.month] ?? [])
        // Done once this batch commits; a rollback sets it again.
        recoveryNeeded = false
    }

    /// Rewrites one hour from the raw readings (count, sum, min, max, first, last and, for a counter, consumption).
    private func recomputeHour(_ key: Key, db: Connection) throws {
        let end = calendar.bucket(.hour, containing: key.bucket).end
        let isCounter = try db.cached("SELECT kind = 'counter' FROM series WHERE id = ?").first([key.series], { $0.int(0) == 1 }) ?? false
        // A counter's hour always has a consumption: 0 here, the exact increase just below.
        try db.cached(Self.hourFromReadings).execute([key.series, key.bucket, end, isCounter ? SQLValue.real(0) : .null])
        if isCounter { try recomputeHourConsumption(key, db: db) }
    }

    private func previousReading(series: Int64, before time: Int64, db: Connection) throws -> (time: Int64, value: Double)? {
        try db.cached("SELECT ts, value FROM readings WHERE series_id = ?1 AND hour <= \(MeasurementHour.sql(of: "?2")) AND ts < ?2 ORDER BY hour DESC, ts DESC LIMIT 1")
            .first([series, time]) { ($0.int(0), $0.double(1)) }
    }

    private func newestReading(series: Int64, db: Connection) throws -> (time: Int64, value: Double)? {
        try db.cached("SELECT ts, value FROM readings WHERE series_id = ? ORDER BY hour DESC, ts DESC LIMIT 1").first([series]) { ($0.int(0), $0.double(1)) }
    }

    private func nextReadingTime(series: Int64, after time: Int64, db: Connection) throws -> Int64? {
        try db.cached("SELECT ts FROM readings WHERE series_id = ?1 AND hour >= \(MeasurementHour.sql(of: "?2")) AND ts > ?2 ORDER BY hour, ts LIMIT 1").first([series, time]) { $0.int(0) }
    }

    /// The exact increase of a counter over one hour, from the raw readings (and the one before the hour).
    private func recomputeHourConsumption(_ key: Key, db: Connection) throws {
        let end = calendar.bucket(.hour, containing: key.bucket).end
        var previous = try previousReading(series: key.series, before: key.bucket, db: db)?.value
        var consumption = 0.0
        try db.cached("SELECT value FROM readings WHERE series_id = ?1 AND \(Self.within("?2", "?3")) ORDER BY hour, ts").forEach([key.series, key.bucket, end]) { row in
            let value = row.double(0)
            if let last = previous { consumption += value >= last ? value - last : value }
            previous = value
        }
        try db.run("UPDATE hourly_rollups SET consumption = ? WHERE bucket_start = ? AND series_id = ?", consumption, key.bucket, key.series)
    }

    /// Recomputes one day (from its hours) or one month (from its days).
    private func refresh(_ period: RollupPeriod, start: Int64, end: Int64, series: Int64, db: Connection) throws {
        guard period == .day else {
            try db.cached(Self.monthFromDays).execute([series, start, end])
            return
        }
        // The hours are keyed by time first: each is looked up by its key (23 to 25 of them) and summed here.
        var day = RollupSum()
        try db.cached(Self.hoursOfDay).forEach([series, start, end]) { row in
            day.add(count: row.int(0), sum: row.double(1), min: row.double(2), max: row.double(3), first: (row.int(4), row.double(5)),
                    last: (row.int(6), row.double(7)), consumption: row.optionalDouble(8))
        }
        guard day.count > 0 else { return }
        try db.cached(Self.replaceDay).execute([series, start, day.count, day.sum, day.min, day.max, day.first.time, day.first.value,
                                                day.last.time, day.last.value, day.consumption.map(SQLValue.real) ?? .null])
    }

    /// The hours of series ?1 starting in [?2, ?3), ?2 being an hour's start: local hours are an hour apart, DST or not.
    private static let hoursOfDay = """
        \(CommuneCalendar.hourStarts(from: "?2", below: "?3"))
        SELECT r.count, r.sum, r.min, r.max, r.first_ts, r.first_value, r.last_ts, r.last_value, r.consumption
        FROM hour JOIN hourly_rollups r ON r.bucket_start = hour.start AND r.series_id = ?1
        """

    private static let replaceDay = """
        INSERT INTO rollups (series_id, period, bucket_start, \(aggregateColumns))
        VALUES (?, \(RollupPeriod.day.rawValue), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(series_id, period, bucket_start) DO UPDATE SET \(replaceAggregates)
        """

    // The period is a literal, not a parameter: the months have a partial index (`WHERE period = 3`), and SQLite
    // recompiles a statement at every execution when a bound value decides whether one applies.
    /// A month from its days: ?1 series, ?2 start, ?3 end.
    private static let monthFromDays: String = {
        let children = "FROM rollups WHERE series_id = ?1 AND period = \(RollupPeriod.day.rawValue) AND bucket_start >= ?2 AND bucket_start < ?3"
        return replaceRollup(into: "rollups", keys: "series_id, period, bucket_start", """
            SELECT ?1, \(RollupPeriod.month.rawValue), ?2, sum(count), sum(sum), min(min), max(max),
                   min(first_ts), (SELECT first_value \(children) ORDER BY first_ts LIMIT 1),
                   max(last_ts), (SELECT last_value \(children) ORDER BY last_ts DESC LIMIT 1),
                   sum(consumption)
            \(children)
            """)
    }()

    /// One hour from the raw readings: ?1 series, ?2 hour start, ?3 hour end, ?4 consumption (0 or NULL).
    private static let hourFromReadings = replaceRollup(into: "hourly_rollups", keys: "series_id, bucket_start", """
        SELECT ?1, ?2, count(*), sum(value), min(value), max(value),
               min(ts), (SELECT value FROM readings WHERE series_id = ?1 AND \(within("?2", "?3")) ORDER BY hour, ts LIMIT 1),
               max(ts), (SELECT value FROM readings WHERE series_id = ?1 AND \(within("?2", "?3")) ORDER BY hour DESC, ts DESC LIMIT 1),
               ?4
        FROM readings WHERE series_id = ?1 AND \(within("?2", "?3"))
        """)

    /// Readings within [start, end), bounded by hour too so that only the device's hours in range are visited.
    private static func within(_ start: String, _ end: String) -> String {
        "hour BETWEEN \(MeasurementHour.sql(of: start)) AND \(MeasurementHour.sql(of: "(\(end) - 1)")) AND ts >= \(start) AND ts < \(end)"
    }

    /// The columns every rollup table has after its key, and the upsert clause that replaces them.
    private static let aggregateColumns = "count, sum, min, max, first_ts, first_value, last_ts, last_value, consumption"
    private static let replaceAggregates = """
        count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
        first_ts = excluded.first_ts, first_value = excluded.first_value,
        last_ts = excluded.last_ts, last_value = excluded.last_value, consumption = excluded.consumption
        """

    /// Writes the aggregate that `select` computes as the rollup row, replacing the stored one; nothing when the
    /// period holds no rows. `select` gives the `keys` (the table's primary key), then the aggregate columns.
    private static func replaceRollup(into table: String, keys: String, _ select: String) -> String {
        """
        INSERT INTO \(table) (\(keys), \(aggregateColumns))
        \(select)
        HAVING count(*) > 0
        ON CONFLICT(\(keys)) DO UPDATE SET \(replaceAggregates)
        """
    }
}
