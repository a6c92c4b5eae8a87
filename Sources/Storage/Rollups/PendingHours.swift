/// The hourly sums held in memory, by (series, hour), and which of them the open batch has written.
///
/// Why not a dictionary: every stored reading adds to its hour, and a series moves to a new hour every few
/// readings (every 4–6 for a device reporting every 10–15 minutes); each such hour was then hashed when created,
/// looked up, marked written, and removed — the largest part of the writer's Swift time after SQLite. Here each
/// series has a short chain of slots (its pending hours, newest first), found through an array indexed by series
/// id: no hashing anywhere. A reading almost always goes to the head of its chain.
struct PendingHours<Value> {
    typealias Key = RollupKey

    private let empty: Value
    private var values: [Value] = []
    /// The key of each slot; a free slot's is `freeKey`.
    private var keyOfSlot: [Key] = []
    /// The next (older) slot of the same series; -1 ends the chain.
    private var nextOfSlot: [Int32] = []
    /// Slots the open batch wrote to the database (`markWritten`), removed together by `removeWritten`.
    private var writtenFlags: [Bool] = []
    private var writtenSlots: [Int32] = []
    private var freeSlots: [Int32] = []
    /// By series id: the first slot of its chain, -1 when it has none.
    private var heads: [Int32] = []
    /// Chains of series ids outside `0...largestDenseSeries` (rowids are small: never, in practice).
    private var overflowHeads: [Int64: Int32] = [:]
    private(set) var count = 0
    private static var freeKey: Key { Key(series: -1, bucket: .min) }
    private static var largestDenseSeries: Int64 { 1 << 22 }

    init(empty: Value) {
        self.empty = empty
    }

    mutating func reserveCapacity(_ capacity: Int) {
        values.reserveCapacity(capacity)
        keyOfSlot.reserveCapacity(capacity)
        nextOfSlot.reserveCapacity(capacity)
        writtenFlags.reserveCapacity(capacity)
    }

    var isEmpty: Bool { count == 0 }

    /// The keys held, in no particular order.
    var keys: [Key] { liveSlots.map { keyOfSlot[$0] } }

    /// The slots that hold an hour, in no particular order.
    var liveSlots: [Int] { keyOfSlot.indices.filter { keyOfSlot[$0] != Self.freeKey } }

    /// The key of a slot `liveSlots` or `slot(for:)` returned.
    func key(ofSlot slot: Int) -> Key { keyOfSlot[slot] }

    /// The slot holding `key`, if any.
    func existingSlot(for key: Key) -> Int? { find(key)?.slot }

    subscript(key: Key) -> Value? {
        find(key).map { values[$0.slot] }
    }

    /// The value of a slot `slot(for:)` returned (valid until the next removal).
    subscript(slot slot: Int) -> Value {
        get { values[slot] }
        _modify { yield &values[slot] }
    }

    private func head(of series: Int64) -> Int32 {
        if series >= 0, series <= Self.largestDenseSeries {
            return series < heads.count ? heads[Int(series)] : -1
        }
        return overflowHeads[series] ?? -1
    }

    private mutating func setHead(of series: Int64, to slot: Int32) {
        guard series >= 0, series <= Self.largestDenseSeries else {
            overflowHeads[series] = slot < 0 ? nil : slot
            return
        }
        if series >= heads.count {
            heads.append(contentsOf: repeatElement(-1, count: max(Int(series) + 1, heads.count * 2) - heads.count))
        }
        heads[Int(series)] = slot
    }

    /// The slot of `key` and the slot before it in its series' chain (-1 when it is the head).
    private func find(_ key: Key) -> (slot: Int, previous: Int32)? {
        var previous: Int32 = -1
        var slot = head(of: key.series)
        while slot >= 0 {
            if keyOfSlot[Int(slot)].bucket == key.bucket { return (Int(slot), previous) }
            previous = slot
            slot = nextOfSlot[Int(slot)]
        }
        return nil
    }

    /// The slot of `key`, created with the empty value if absent (`isNew`).
    mutating func slot(for key: Key) -> (slot: Int, isNew: Bool) {
        let head = head(of: key.series)
        // The usual case: the series' newest hour.
        if head >= 0, keyOfSlot[Int(head)].bucket == key.bucket { return (Int(head), false) }
        if let found = find(key) { return (found.slot, false) }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = Int(free)
            values[slot] = empty
            keyOfSlot[slot] = key
            nextOfSlot[slot] = head
            writtenFlags[slot] = false
        } else {
            slot = values.count
            values.append(empty)
            keyOfSlot.append(key)
            nextOfSlot.append(head)
            writtenFlags.append(false)
        }
        setHead(of: key.series, to: Int32(slot))
        count += 1
        return (slot, true)
    }

    mutating func removeValue(forKey key: Key) {
        guard let (slot, previous) = find(key) else { return }
        unlink(slot, previous: previous)
    }

    private mutating func unlink(_ slot: Int, previous: Int32) {
        let series = keyOfSlot[slot].series
        if previous < 0 { setHead(of: series, to: nextOfSlot[slot]) } else { nextOfSlot[Int(previous)] = nextOfSlot[slot] }
        keyOfSlot[slot] = Self.freeKey
        values[slot] = empty
        nextOfSlot[slot] = -1
        freeSlots.append(Int32(slot))
        count -= 1
    }

    /// Records that the open batch wrote this slot's hour (`isWritten`); `removeWritten` removes such hours.
    mutating func markWritten(slot: Int) {
        guard !writtenFlags[slot] else { return }
        writtenFlags[slot] = true
        writtenSlots.append(Int32(slot))
    }

    func isWritten(slot: Int) -> Bool { writtenFlags[slot] }

    /// True when `key` is held and marked written.
    func isWritten(_ key: Key) -> Bool { find(key).map { writtenFlags[$0.slot] } ?? false }

    /// Removes the hours marked written (their batch committed).
    mutating func removeWritten() {
        for slot in writtenSlots where writtenFlags[Int(slot)] {
            writtenFlags[Int(slot)] = false
            if let (found, previous) = find(keyOfSlot[Int(slot)]), found == Int(slot) { unlink(found, previous: previous) }
        }
        writtenSlots.removeAll(keepingCapacity: true)
    }

    /// Forgets the written marks without removing anything (a new batch's flush starts).
    mutating func clearWrittenMarks() {
        for slot in writtenSlots { writtenFlags[Int(slot)] = false }
        writtenSlots.removeAll(keepingCapacity: true)
    }

    /// Empties the table, keeping its storage.
    mutating func removeAll() {
        for slot in keyOfSlot.indices where keyOfSlot[slot] != Self.freeKey { setHead(of: keyOfSlot[slot].series, to: -1) }
        overflowHeads.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        keyOfSlot.removeAll(keepingCapacity: true)
        nextOfSlot.removeAll(keepingCapacity: true)
        writtenFlags.removeAll(keepingCapacity: true)
        writtenSlots.removeAll(keepingCapacity: true)
        freeSlots.removeAll(keepingCapacity: true)
        count = 0
    }
}
