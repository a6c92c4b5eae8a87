/// The latest position of each content hash in `MessageReceiver`'s history of journaled messages.
///
/// Why not `[UInt64: Int]`: this is updated for every message on the MQTT thread, and a dictionary hashes its
/// keys again with SipHash although content hashes are already uniformly spread. Here a multiply picks the slot
/// (open addressing, linear probing, at most half full); a removal shifts the entries that follow back, so no
/// tombstones accumulate however long the gateway runs.
struct HashPositionTable {
    private var keys: [UInt64]
    /// -1 marks an empty slot.
    private var positions: [Int]
    private let shift: UInt64
    private let mask: Int
    private(set) var count = 0

    /// - Parameter capacity: the most entries it will hold (the table has twice as many slots, a power of two).
    init(capacity: Int) {
        var bits = 1
        while 1 << bits < 2 * max(capacity, 1) { bits += 1 }
        keys = Array(repeating: 0, count: 1 << bits)
        positions = Array(repeating: -1, count: 1 << bits)
        shift = UInt64(64 - bits)
        mask = (1 << bits) - 1
    }

    private func home(_ hash: UInt64) -> Int { Int((hash &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// The slot holding `hash`, or the empty slot where it would go.
    private func slot(of hash: UInt64) -> Int {
        var slot = home(hash)
        while positions[slot] >= 0, keys[slot] != hash { slot = (slot + 1) & mask }
        return slot
    }

    subscript(hash: UInt64) -> Int? {
        let slot = slot(of: hash)
        return positions[slot] >= 0 ? positions[slot] : nil
    }

    /// Sets the position of `hash` (a non-negative index).
    mutating func set(_ hash: UInt64, position: Int) {
        precondition(position >= 0)
        let slot = slot(of: hash)
        if positions[slot] < 0 {
            precondition(count < keys.count / 2, "HashPositionTable holds more than its capacity")
            count += 1
        }
        keys[slot] = hash
        positions[slot] = position
    }

    mutating func remove(_ hash: UInt64) {
        var hole = slot(of: hash)
        guard positions[hole] >= 0 else { return }
        count -= 1
        // Backward shift: an entry after the hole moves into it unless its home lies cyclically in (hole, entry].
        var next = (hole + 1) & mask
        while positions[next] >= 0 {
            let home = home(keys[next])
            let canMove = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next)
            if canMove {
                keys[hole] = keys[next]
                positions[hole] = positions[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        positions[hole] = -1
    }
}
