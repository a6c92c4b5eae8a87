import Foundation
import SQLiteDB

/// The ingest path's write side: one connection, used by one thread, inside explicit batches.
///
/// A batch groups many messages in one transaction and ends with the journal checkpoint, so the data and the
/// position it covers are committed atomically: after a crash, replay restarts exactly where the data ends.
public final class ReadingWriter {
    private let db: Connection
    private var devices: [String: DeviceRecord] = [:]
    /// Series ids by device, then metric: a device has a handful of metrics, so a short list scanned with string
    /// equality beats hashing the metric name for every reading.
    private var series = RowIDMap<[(metric: String, id: Int64)]>()
    /// The device whose series `seriesID` looked up last, and its list.
    private var lastSeries: (device: Int64, list: [(metric: String, id: Int64)]) = (-1, [])
    // Per-batch aggregates, written once per batch rather than once per message.
    /// The unmapped fields are joined at commit, once per device and batch, not once per message.
    private var seenInBatch = RowIDMap<(lastSeen: Int64, count: Int64, unmapped: [String]?)>()
    private var countersInBatch: [String: Int64] = [:]
    /// Per device: the last millisecond given to a receive-timed measurement.
    private var lastReceiptTime = RowIDMap<Int64>()
    private var pendingReadings: [PendingReading] = []
    /// The batch's readings as runs of one device, time and time source (a message's readings, usually): sorting
    /// the runs orders the readings, with eight times fewer elements to sort.
    private var pendingRuns: [PendingRun] = []
    /// The readings of several runs with one key (a repeat, a burst), gathered at flush.
    private var groupScratch: [PendingReading] = []

    /// Per device: the hour whose `device_hours` row this connection has written or found (the hour of its
    /// previous measurement, usually the same): one insert per device and hour, not per measurement.
    private var deviceHour = RowIDMap<Int64>()

    /// Reused for every measurement's entries and blob.
    private var entryScratch: [PackedReadings.Entry] = []
    private var packScratch: [UInt8] = []

    /// Consecutive readings of one device at one time (and time source): the readings themselves hold only what
    /// differs between them.
    private struct PendingRun {
        /// `MeasurementHour.of(time)`: runs are stored in the table's key order, hour first.
        let hour: Int64
        let device: Int64
        let time: Int64
        let timeFromReceipt: Bool
        /// Where the run starts in `pendingReadings` (its arrival order).
        let start: Int
        var count: Int
    }

    private struct PendingReading {
        let series: Int64
        let value: Double
        let isCounter: Bool
    }

    private let rollups: RollupAccumulator

    /// Told about the readings of the series it watches (alert rules); nil: nobody is.
    /// True once the observer was called for the batch being committed (told of the commit or the rollback).
    private var observerInBatch = false
    public var observer: (any ReadingObserver)? {
        didSet { watchedSeries.removeAll() }
    }
    /// By series: whether `observer` watches it (asked once per series).
    private var watchedSeries = RowIDMap<Bool>()
    private var observedInBatch: [ObservedReading] = []

    /// - Parameter timeZone: the commune's zone, for the days and months of the rollups.
    public convenience init(connection: Connection, timeZone: TimeZone = TimeZone(identifier: "Europe/Paris")!) {
        self.init(connection: connection, rollups: RollupAccumulator(calendar: CommuneCalendar(timeZone: timeZone)))
    }

    /// With a rollup accumulator tuned otherwise (tests: small slices, long deferral).
    init(connection: Connection, rollups: RollupAccumulator) {
        self.db = connection
        self.rollups = rollups
    }

    /// The journal position covered by the database.
    public func checkpoint() throws -> JournalPosition? {
        try db.cached("SELECT segment, offset FROM journal_checkpoint WHERE id = 1").first { row in
            JournalPosition(segment: row.int(0), offset: row.int(1))
        }
    }

    /// Opens a batch. Hours a crash or a rolled-back batch left unwritten are recomputed first.
    public func begin() throws {
        try db.execute("BEGIN IMMEDIATE")
        do {
            try rollups.recoverIfNeeded(db: db)
        } catch {
            rollback()
            throw error
        }
    }

    /// Flushes the batch's aggregates, records the checkpoint and commits.
    /// - Parameters:
    ///   - refreshRollups: write every hour and recompute every touched day and month now, whatever the cost.
    ///   - underLoad: a backlog is being drained: hourly rollups may wait (at most 2 s) so that a series'
    ///     readings of many batches become one upsert. Latest values then lag by as much.
    public func commit(checkpoint: JournalPosition?, refreshRollups: Bool = false, underLoad: Bool = false) throws {
        let now = Self.now()
        do {
            try flushReadings()
            try flushAggregates()
            try rollups.flush(db: db, now: now, mode: refreshRollups ? .complete : underLoad ? .underLoad : .batch)
            let observed = observer.map { !observedInBatch.isEmpty || $0.hasPendingWrites } ?? false
            if observed { try observer?.batchWillCommit(observedInBatch, db: db) }
            observerInBatch = observed
            if let checkpoint {
                try db.run("INSERT INTO journal_checkpoint (id, segment, offset) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET segment = excluded.segment, offset = excluded.offset",
                           checkpoint.segment, checkpoint.offset)
            }
            try db.execute("COMMIT")
            rollups.committed(now: now)
            observedInBatch.removeAll(keepingCapacity: true)
            if observerInBatch {
                observerInBatch = false
                observer?.batchDidCommit()
            }
        } catch {
            rollback()
            throw error
        }
    }

    /// Writes waiting hours and recomputes waiting days and months in a transaction of its own.
    /// - Parameter complete: everything now (tests, tools); otherwise only what is due, one slice at a time (the
    ///   idle writer calls it repeatedly while `hasRollupWorkDue`).
    public func refreshPendingRollups(complete: Bool = true) throws {
        guard complete ? rollups.hasPendingWork : rollups.hasWorkDue(now: Self.now()) else { return }
        try begin()
        try commit(checkpoint: nil, refreshRollups: complete)
    }

    /// True when an idle writer has rollup work it should do now rather than wait.
    public var hasRollupWorkDue: Bool { rollups.hasWorkDue(now: Self.now()) }

    /// True while days and months are being recomputed in slices (an idle writer should come back soon).
    public var isRefreshingRollups: Bool { rollups.isDraining }

    private static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Abandons the batch; caches that may now be wrong are cleared.
    public func rollback() {
        if db.isInTransaction { try? db.execute("ROLLBACK") }
        seenInBatch.removeAll()
        countersInBatch.removeAll()
        devices.removeAll()
        series.removeAll()
        lastSeries = (-1, [])
        lastReceiptTime.removeAll()
        deviceHour.removeAll()
        pendingReadings.removeAll()
        pendingRuns.removeAll()
        rollups.reset()
        if !observedInBatch.isEmpty || observerInBatch {
            observedInBatch.removeAll()
            observerInBatch = false
            observer?.batchDidRollBack()
        }
    }

    /// True when the observer waits to write something of its own (an idle writer commits a batch for it).
    public var observerHasPendingWrites: Bool { observer?.hasPendingWrites ?? false }

    /// Commits a batch holding only what the observer has to write.
    public func commitObserverWrites() throws {
        try begin()
        try commit(checkpoint: nil)
    }

    /// Forgets cached devices (after an inventory change).
    public func invalidateDevices() {
        devices.removeAll()
        series.removeAll()
        lastSeries = (-1, [])
        watchedSeries.removeAll()
        rollups.forgetBindings()
    }

    /// The device with this key, created as pending if it was never seen (then `discovered` is true).
    public func device(key: String, at time: Int64) throws -> (record: DeviceRecord, discovered: Bool) {
        if let cached = devices[key] { return (cached, false) }
        let lookup = try db.cached("SELECT id, profile, asset_id FROM devices WHERE key = ?")
        if let record = try lookup.first([key], { DeviceRecord(id: $0.int(0), key: key, profile: $0.optionalString(1), assetID: $0.optionalString(2)) }) {
            devices[key] = record
            return (record, false)
        }
        try db.run("INSERT INTO devices (key, first_seen) VALUES (?, ?)", key, time)
        let record = DeviceRecord(id: db.lastInsertRowID, key: key, profile: nil, assetID: nil)
        devices[key] = record
        count("devices_discovered")
        return (record, true)
    }

    /// Adds one reading to the batch. Readings are written at commit, one row per device and instant
    /// (`measurements`), sorted by hour, device and time (the key): consecutive inserts then land in the same B-tree pages, which is
    /// what keeps thousands of interleaved devices fast.
    ///
    /// - Parameter timeFromReceipt: the time is the receive time, not a measurement time from the payload.
    ///   Such readings never collide: a burst (a backlog drained after an outage) delivers many messages of one
    ///   device within a millisecond, so each gets the next free millisecond of its device. Redeliveries are
    ///   recognised before the journal, and the journal applies each record once, so this never doubles one.
    public func insertReading(device: DeviceRecord, metric: String, unit: String, kind: String,
                              time: Int64, value: Double, receivedAt: Int64, timeFromReceipt: Bool = false) throws {
        let seriesID = try seriesID(device: device, metric: metric, unit: unit, kind: kind)
        if let last = pendingRuns.last, last.device == device.id, last.time == time, last.timeFromReceipt == timeFromReceipt {
            pendingRuns[pendingRuns.count - 1].count += 1
        } else {
            pendingRuns.append(PendingRun(hour: MeasurementHour.of(time), device: device.id, time: time, timeFromReceipt: timeFromReceipt, start: pendingReadings.count, count: 1))
        }
        pendingReadings.append(PendingReading(series: seriesID, value: value, isCounter: kind == "counter"))
        if let observer, let assetID = device.assetID {
            let watched = watchedSeries[seriesID] ?? observer.watches(assetID: assetID, metric: metric)
            watchedSeries[seriesID] = watched
            if watched {
                observedInBatch.append(ObservedReading(assetID: assetID, deviceKey: device.key, metric: metric, unit: unit, time: time, value: value))
            }
        }
    }

    /// Writes the batch's readings, one measurement row per device and instant, in (hour, device, time) order. Of two
    /// readings of one series at one instant (a repeat), the first to arrive is kept.
    private func flushReadings() throws {
        guard !pendingReadings.isEmpty else { return }
        // Sorted by (hour, device, time, time source, arrival) — the key order of `measurements`, so that rows are
        // appended to the newest hours' pages rather than splitting them — the runs, whose readings are then stored
        // group by group (each run holds consecutive arrivals of one key, so this is the order a sort of the readings
        // would give; a device's runs stay in time order).
        pendingRuns.sort {
            ($0.hour, $0.device, $0.time, $0.timeFromReceipt ? 1 : 0, $0.start) < ($1.hour, $1.device, $1.time, $1.timeFromReceipt ? 1 : 0, $1.start)
        }
        let insert = try db.cached("INSERT INTO measurements (hour, device_id, ts, readings) VALUES (\(MeasurementHour.sql(of: "?2")), ?1, ?2, ?3) ON CONFLICT DO NOTHING")
        var tally = FlushTally()
        var index = 0
        while index < pendingRuns.count {
            let first = pendingRuns[index]
            var end = index + 1
            while end < pendingRuns.count, pendingRuns[end].device == first.device, pendingRuns[end].time == first.time,
                  pendingRuns[end].timeFromReceipt == first.timeFromReceipt {
                end += 1
            }
            let group: ArraySlice<PendingReading>
            if end == index + 1 {
                group = pendingReadings[first.start..<(first.start + first.count)]
            } else {
                groupScratch.removeAll(keepingCapacity: true)
                for run in pendingRuns[index..<end] { groupScratch.append(contentsOf: pendingReadings[run.start..<(run.start + run.count)]) }
                group = groupScratch[...]
            }
            if first.timeFromReceipt {
                try storeReceiptTimed(group, device: first.device, receivedAt: first.time, insert: insert, tally: &tally)
            } else {
                try storeMeasured(group, device: first.device, time: first.time, insert: insert, tally: &tally)
            }
            index = end
        }
        pendingRuns.removeAll(keepingCapacity: true)
        pendingReadings.removeAll(keepingCapacity: true)
        if tally.stored > 0 { count("readings_stored", by: tally.stored) }
        if tally.duplicates > 0 { count("readings_duplicate", by: tally.duplicates) }
        if tally.resets > 0 { count("counter_resets", by: tally.resets) }
    }

    private struct FlushTally {
        var stored: Int64 = 0
        var duplicates: Int64 = 0
        var resets: Int64 = 0
    }

    /// Readings of one device at one measurement time: new series are added to the stored row, repeats are not.
    private func storeMeasured(_ group: ArraySlice<PendingReading>, device: Int64, time: Int64, insert: Statement,
                               tally: inout FlushTally) throws {
        var chosen = group
        if Self.repeatsSeries(group) {
            var seen = Set<Int64>()
            let firsts = group.filter { seen.insert($0.series).inserted }
            tally.duplicates += Int64(group.count - firsts.count)
            chosen = firsts[...]
        }
        switch try storeMeasurement(device: device, time: time, chosen, insert: insert, mergeIntoExisting: true) {
        case .inserted:
            try addToRollups(chosen, time: time, tally: &tally)
        case .merged(let added):
            tally.duplicates += Int64(chosen.count - added.count)
            try addToRollups(chosen.filter { added.contains($0.series) }, time: time, tally: &tally)
        }
    }

    /// True when a series appears twice (a message repeated within the batch). A group is usually one message's
    /// few readings: compared pairwise, without hashing; a large one (a long history at one instant) through a set.
    private static func repeatsSeries(_ group: ArraySlice<PendingReading>) -> Bool {
        if group.count > 16 {
            var seen = Set<Int64>()
            return group.contains { !seen.insert($0.series).inserted }
        }
        var index = group.startIndex
        while index < group.endIndex {
            let series = group[index].series
            var other = index + 1
            while other < group.endIndex {
                if group[other].series == series { return true }
                other += 1
            }
            index += 1
        }
        return false
    }

    /// Receive-timed readings of one device: each run of distinct series takes the next free millisecond.
    private func storeReceiptTimed(_ group: ArraySlice<PendingReading>, device: Int64, receivedAt: Int64, insert: Statement,
                                   tally: inout FlushTally) throws {
        // Usually one message's readings, each series once: one run, without sorting them into runs.
        if !Self.repeatsSeries(group) {
            try storeReceiptTimedRun(group, device: device, receivedAt: receivedAt, insert: insert, tally: &tally)
            return
        }
        // The k-th reading of a series in the group goes to the k-th run (linear, whatever the burst's size).
        var occurrences: [Int64: Int] = [:]
        var runs: [[PendingReading]] = []
        for reading in group {
            let run = occurrences[reading.series, default: 0]
            occurrences[reading.series] = run + 1
            if run == runs.count { runs.append([]) }
            runs[run].append(reading)
        }
        for run in runs { try storeReceiptTimedRun(run[...], device: device, receivedAt: receivedAt, insert: insert, tally: &tally) }
    }

    /// Stores readings of distinct series of one device at the next free millisecond from their receive time.
    private func storeReceiptTimedRun(_ run: ArraySlice<PendingReading>, device: Int64, receivedAt: Int64, insert: Statement,
                                      tally: inout FlushTally) throws {
        var time = receivedAt
        if let last = lastReceiptTime[device], time <= last { time = last + 1 }
        var attempts = 0
        while case .merged = try storeMeasurement(device: device, time: time, run, insert: insert, mergeIntoExisting: false) {
            attempts += 1
            guard attempts < 10_000 else { throw SQLiteError(code: 19, message: "no free millisecond for a receive-timed reading of device \(device)") }
            time += 1
        }
        lastReceiptTime[device] = time
        try addToRollups(run, time: time, tally: &tally)
    }

    private func addToRollups(_ readings: some Collection<PendingReading>, time: Int64, tally: inout FlushTally) throws {
        for reading in readings {
            tally.stored += 1
            if try rollups.add(series: reading.series, isCounter: reading.isCounter, time: time, value: reading.value, db: db) {
                tally.resets += 1
            }
        }
    }

    private enum StoreOutcome {
        /// A new row: every reading stored.
        case inserted
        /// The row existed: these series were added to it (none without `mergeIntoExisting`).
        case merged(added: [Int64])
    }

    /// Inserts the measurement row of (device, time) with `insert` (prepared once per flush); when one exists, adds
    /// the series it lacks (or nothing, without `mergeIntoExisting`).
    private func storeMeasurement(device: Int64, time: Int64, _ readings: ArraySlice<PendingReading>, insert: Statement,
                                  mergeIntoExisting: Bool) throws -> StoreOutcome {
        entryScratch.removeAll(keepingCapacity: true)
        for reading in readings { entryScratch.append(PackedReadings.Entry(series: reading.series, value: reading.value)) }
        entryScratch.sort { $0.series < $1.series }
        packScratch.removeAll(keepingCapacity: true)
        PackedReadings.encode(entryScratch, into: &packScratch)
        insert.reset()
        insert.bind(device, at: 1)
        insert.bind(time, at: 2)
        try insert.bind(.blob(packScratch), at: 3)
        if try insert.run() > 0 {
            try recordHour(device: device, time: time)
            return .inserted
        }
        guard mergeIntoExisting else { return .merged(added: []) }
        let select = try db.cached("SELECT readings FROM measurements WHERE hour = \(MeasurementHour.sql(of: "?2")) AND device_id = ?1 AND ts = ?2")
        guard var stored = try select.first([device, time], { PackedReadings(bytes: $0.blob(0)) }) else { return .merged(added: []) }
        let added = stored.merge(entryScratch)
        if !added.isEmpty {
            try db.cached("UPDATE measurements SET readings = ?3 WHERE hour = \(MeasurementHour.sql(of: "?2")) AND device_id = ?1 AND ts = ?2")
                .execute([device, time, SQLValue.blob(stored.bytes)])
        }
        return .merged(added: added.map(\.series))
    }

    /// Lists the hour of a new measurement among its device's hours (`device_hours`), unless this connection did.
    private func recordHour(device: Int64, time: Int64) throws {
        let hour = MeasurementHour.of(time)
        guard deviceHour[device] != hour else { return }
        try db.cached("INSERT INTO device_hours (device_id, hour) VALUES (?, ?) ON CONFLICT DO NOTHING").execute([device, hour])
        deviceHour[device] = hour
    }

    /// Records that a device was heard from, with the fields its profile did not map (for `pmc-gateway devices`).
    public func recordSeen(device: DeviceRecord, at time: Int64, unmappedFields: [String] = []) {
        var entry = seenInBatch[device.id] ?? (lastSeen: time, count: 0, unmapped: nil)
        entry.lastSeen = max(entry.lastSeen, time)
        entry.count += 1
        if !unmappedFields.isEmpty { entry.unmapped = unmappedFields }
        seenInBatch[device.id] = entry
    }

    /// Records an online/offline report, unless a newer one is already stored.
    public func recordStatus(device: DeviceRecord, status: String, at time: Int64) throws {
        try db.run("UPDATE devices SET status = ?, status_at = ? WHERE id = ? AND (status_at IS NULL OR status_at <= ?)",
                   status, time, device.id, time)
        count("status_\(status)")
    }

    /// Keeps a message that could not be decoded or stored, with the reason.
    public func reject(subscription: String, topic: String, payload: [UInt8], payloadLimit: Int,
                       reason: String, deviceKey: String?, receivedAt: Int64) throws {
        let kept = payload.count > payloadLimit ? Array(payload.prefix(payloadLimit)) : payload
        try db.run("INSERT INTO rejected_messages (received_at, subscription, topic, payload, payload_size, reason, device_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   receivedAt, subscription, topic, SQLValue.blob(kept), payload.count, reason, deviceKey)
        count("messages_rejected")
    }

    /// Keeps the raw message of a device the inventory does not declare yet.
    public func keepPending(deviceKey: String, subscription: String, format: String, topic: String,
                            payload: [UInt8], receivedAt: Int64) throws {
        try db.run("INSERT INTO pending_messages (device_key, subscription, format, topic, payload, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                   deviceKey, subscription, format, topic, SQLValue.blob(payload), receivedAt)
        count("messages_pending")
    }

    /// Adds to a named ingest counter (flushed at commit).
    public func count(_ name: String, by amount: Int64 = 1) {
        countersInBatch[name, default: 0] += amount
    }

    private func seriesID(device: DeviceRecord, metric: String, unit: String, kind: String) throws -> Int64 {
        // A message's readings come one after the other for one device: its list is looked up once, not per reading.
        if device.id != lastSeries.device {
            lastSeries = (device.id, series[device.id] ?? [])
        }
        if let entry = lastSeries.list.first(where: { $0.metric == metric }) { return entry.id }
        let lookup = try db.cached("SELECT id FROM series WHERE device_id = ? AND metric = ?")
        let id: Int64
        if let stored = try lookup.first([device.id, metric], { $0.int(0) }) {
            id = stored
        } else {
            try db.run("INSERT INTO series (device_id, asset_id, metric, unit, kind) VALUES (?, ?, ?, ?, ?)",
                       device.id, device.assetID, metric, unit, kind)
            id = db.lastInsertRowID
        }
        lastSeries.list.append((metric, id))
        series[device.id] = lastSeries.list
        return id
    }

    private func flushAggregates() throws {

        let seen = try db.cached("""
            UPDATE devices SET last_seen = max(coalesce(last_seen, 0), ?), message_count = message_count + ?,
                first_seen = coalesce(first_seen, ?), unmapped_fields = coalesce(?, unmapped_fields) WHERE id = ?
            """)
        for deviceID in seenInBatch.ids.sorted() {
            let entry = seenInBatch[deviceID]!
            try seen.execute([entry.lastSeen, entry.count, entry.lastSeen, entry.unmapped.map { $0.sorted().joined(separator: ",") }, deviceID])
        }
        seenInBatch.removeAll()

        let counter = try db.cached("INSERT INTO ingest_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value")
        for (name, amount) in countersInBatch {
            try counter.execute([name, amount])
        }
        countersInBatch.removeAll(keepingCapacity: true)
    }
}
