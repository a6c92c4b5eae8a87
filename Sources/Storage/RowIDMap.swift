/// Values by SQLite rowid (a device's or a series' id), for the writer's per-reading bookkeeping.
///
/// Why not a dictionary: rowids are small, dense integers, so an array indexed by the id finds a value without
/// hashing, and these maps are read for every stored reading. Ids beyond `denseLimit` (never seen in practice,
/// but rowids can be anything) go to a dictionary, so memory stays bounded whatever the ids.
///
/// Entries are only added or replaced, and all removed at once (`removeAll`, which costs what was set, not the
/// array's size): that is all the writer needs, at batch or restart boundaries.
struct RowIDMap<Value> {
    private var slots: [Value?] = []
    private var overflow: [Int64: Value] = [:]
    /// The ids that hold a value, in the order they were first set.
    private(set) var ids: [Int64] = []

    /// Ids from 0 up to this are kept in the array (4 M ids: a few tens of MB only if they are all used).
    static var denseLimit: Int64 { 1 << 22 }

    init() {}

    var isEmpty: Bool { ids.isEmpty }

    subscript(id: Int64) -> Value? {
        get {
            if id >= 0, id < slots.count { return slots[Int(id)] }
            return id < 0 || id > Self.denseLimit ? overflow[id] : nil
        }
        set {
            // Setting nil is allowed only where there is nothing to remove (entries go all at once, `removeAll`).
            guard let newValue else {
                precondition(self[id] == nil, "RowIDMap entries are removed all at once (removeAll)")
                return
            }
            guard id >= 0, id <= Self.denseLimit else {
                if overflow.updateValue(newValue, forKey: id) == nil { ids.append(id) }
                return
            }
            if id >= slots.count {
                slots.append(contentsOf: repeatElement(nil, count: max(Int(id) + 1, slots.count * 2) - slots.count))
            }
            if slots[Int(id)] == nil { ids.append(id) }
            slots[Int(id)] = newValue
        }
    }

    /// Removes every value, keeping the storage.
    mutating func removeAll() {
        for id in ids where id >= 0 && id < slots.count { slots[Int(id)] = nil }
        overflow.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
    }
}
