/// The hourly sums held in memory, by (series, hour).
///
/// Why not a plain dictionary: every stored reading adds to its hour, and hashing the key was the largest part of
/// that. A reading almost always goes to the hour its series used last, so each series remembers that hour's slot
/// (an array indexed by series id): no hashing. The dictionary is used when a series moves to another hour, for a
/// late reading, and by the writing side (which walks, reads and removes hours).
struct PendingHours<Value> {
    typealias Key = RollupKey

    private let empty: Value
    private var slotOfKey: [Key: Int] = [:]
    private var values: [Value] = []
    /// The key of each slot; a free slot's is `freeKey`.
    private var keyOfSlot: [Key] = []
    private var freeSlots: [Int] = []
    /// By series id: the slot of the hour it used last (checked against `keyOfSlot`: it may be stale).
    private var recentSlot: [Int32] = []
    private static var freeKey: Key { Key(series: -1, bucket: .min) }
    /// Series ids above this go through the dictionary only (the array stays small whatever the ids).
    private static var largestRecentSeries: Int64 { 1 << 22 }

    init(empty: Value) {
        self.empty = empty
    }

    mutating func reserveCapacity(_ capacity: Int) {
        slotOfKey.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        keyOfSlot.reserveCapacity(capacity)
    }

    var count: Int { slotOfKey.count }
    var isEmpty: Bool { slotOfKey.isEmpty }
    var keys: Dictionary<Key, Int>.Keys { slotOfKey.keys }

    subscript(key: Key) -> Value? {
        slotOfKey[key].map { values[$0] }
    }

    /// The value of a slot `slot(for:)` returned (valid until the next removal).
    subscript(slot slot: Int) -> Value {
        get { values[slot] }
        _modify { yield &values[slot] }
    }

    /// The slot of `key`, created with the empty value if absent (`isNew`).
    mutating func slot(for key: Key) -> (slot: Int, isNew: Bool) {
        let series = key.series
        if series >= 0, series < recentSlot.count {
            let recent = Int(recentSlot[Int(series)])
            if recent >= 0, recent < keyOfSlot.count, keyOfSlot[recent] == key { return (recent, false) }
        }
        if let found = slotOfKey[key] {
            remember(found, of: series)
            return (found, false)
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            values[slot] = empty
            keyOfSlot[slot] = key
        } else {
            slot = values.count
            values.append(empty)
            keyOfSlot.append(key)
        }
        slotOfKey[key] = slot
        remember(slot, of: series)
        return (slot, true)
    }

    private mutating func remember(_ slot: Int, of series: Int64) {
        guard series >= 0, series <= Self.largestRecentSeries else { return }
        if series >= recentSlot.count {
            recentSlot.append(contentsOf: repeatElement(-1, count: max(Int(series) + 1, recentSlot.count * 2) - recentSlot.count))
        }
        recentSlot[Int(series)] = Int32(slot)
    }

    mutating func removeValue(forKey key: Key) {
        guard let slot = slotOfKey.removeValue(forKey: key) else { return }
        keyOfSlot[slot] = Self.freeKey
        values[slot] = empty
        freeSlots.append(slot)
    }

    /// Empties the table, keeping its storage (remembered slots are stale from now on, and checked as such).
    mutating func removeAll() {
        slotOfKey.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        keyOfSlot.removeAll(keepingCapacity: true)
        freeSlots.removeAll(keepingCapacity: true)
    }
}
