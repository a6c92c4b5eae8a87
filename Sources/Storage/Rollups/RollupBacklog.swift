import SQLiteDB

/// One rollup row: a series and the start of its period (UTC ms).
struct RollupKey: Hashable {
    let series: Int64
    let bucket: Int64

    /// One word into the hasher instead of two: hashed for every reading stored. Distinct keys may share the word
    /// (then they only share a hash; equality still compares both fields).
    func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(bitPattern: series) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: bucket))
    }
}

/// The rollup work that exists only in memory, listed in `rollup_backlog` so that neither a crash nor a
/// rolled-back batch can lose it: hours summed but not yet written (period 1), days and months waiting to be
/// recomputed (periods 2 and 3).
///
/// A key is listed once, by the first batch that leaves it pending (one row per batch and period, keys packed
/// as little-endian int64 pairs); a period's list is emptied by the batch that completes its work. Everything
/// here takes effect only when the batch commits (`committed`); a rollback forgets the batch's part.
struct RollupBacklog {
    private var listed: [RollupPeriod: Set<RollupKey>] = [:]
    private var listing: [RollupPeriod: [RollupKey]] = [:]
    private var clearing: Set<RollupPeriod> = []

    /// Lists, in the open batch, the keys of `period` that no committed batch listed yet.
    mutating func list(_ keys: some Sequence<RollupKey>, period: RollupPeriod, db: Connection) throws {
        // Once this batch clears the period, what earlier batches listed no longer counts.
        let known = clearing.contains(period) ? [] : listed[period] ?? []
        var fresh: [RollupKey] = []
        for key in keys where !known.contains(key) { fresh.append(key) }
        guard !fresh.isEmpty else { return }
        var packed = [UInt8]()
        packed.reserveCapacity(fresh.count * 16)
        for key in fresh {
            withUnsafeBytes(of: key.series.littleEndian) { packed.append(contentsOf: $0) }
            withUnsafeBytes(of: key.bucket.littleEndian) { packed.append(contentsOf: $0) }
        }
        try db.run("INSERT INTO rollup_backlog (period, keys) VALUES (?, ?)", period.rawValue, SQLValue.blob(packed))
        listing[period, default: []].append(contentsOf: fresh)
    }

    /// Empties the list of `period` in the open batch: the batch does all of that period's pending work.
    mutating func clear(_ period: RollupPeriod, db: Connection) throws {
        if !(listed[period] ?? []).isEmpty || !(listing[period] ?? []).isEmpty {
            try db.run("DELETE FROM rollup_backlog WHERE period = ?", period.rawValue)
        }
        listing[period] = nil
        clearing.insert(period)
    }

    /// The batch committed.
    mutating func committed() {
        for period in clearing { listed[period] = nil }
        for (period, keys) in listing { listed[period, default: []].formUnion(keys) }
        clearing.removeAll()
        listing.removeAll()
    }

    /// The batch rolled back.
    mutating func rolledBack() {
        clearing.removeAll()
        listing.removeAll()
    }

    /// Every listed key by period, as stored (at start, or after a rollback lost what memory held).
    mutating func load(db: Connection) throws -> [RollupPeriod: Set<RollupKey>] {
        var stored: [RollupPeriod: Set<RollupKey>] = [:]
        try db.cached("SELECT period, keys FROM rollup_backlog").forEach { row in
            guard let period = RollupPeriod(rawValue: row.int(0)) else { return }
            let packed = row.blob(1)
            var keys: [RollupKey] = []
            packed.withUnsafeBytes { bytes in
                var offset = 0
                while offset + 16 <= bytes.count {
                    keys.append(RollupKey(series: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)),
                                          bucket: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: Int64.self))))
                    offset += 16
                }
            }
            stored[period, default: []].formUnion(keys)
        }
        listed = stored
        listing.removeAll()
        clearing.removeAll()
        return stored
    }
}
