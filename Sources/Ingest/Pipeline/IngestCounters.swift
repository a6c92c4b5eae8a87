import Foundation

/// Counters incremented outside the writer thread (the MQTT thread); the writer adds them to the database
/// with each batch.
public final class IngestCounters: @unchecked Sendable {
    // Guards `pending`.
    private let lock = NSLock()
    private var pending: [String: Int64] = [:]

    public init() {}

    public func increment(_ name: String, by amount: Int64 = 1) {
        lock.lock()
        pending[name, default: 0] += amount
        lock.unlock()
    }

    /// Returns and clears the counts accumulated since the last call.
    public func drain() -> [String: Int64] {
        lock.lock()
        defer { lock.unlock() }
        let result = pending
        pending.removeAll(keepingCapacity: true)
        return result
    }
}
