import SQLiteDB

/// A reading a batch stores, as an observer sees it.
public struct ObservedReading: Sendable, Equatable {
    public var assetID: String
    public var deviceKey: String
    public var metric: String
    public var unit: String
    /// The measurement time; for a reading timed by its receipt, the receive time (stored a millisecond or more later
    /// when a burst of the device shares one: observers take readings of one millisecond in arrival order).
    public var time: Int64
    public var value: Double

    public init(assetID: String, deviceKey: String, metric: String, unit: String, time: Int64, value: Double) {
        self.assetID = assetID
        self.deviceKey = deviceKey
        self.metric = metric
        self.unit = unit
        self.time = time
        self.value = value
    }
}

/// Told about the readings each batch stores, inside the batch's transaction: what it writes (alerts, their
/// conditions) commits or rolls back with the readings, so a crash can neither lose a transition nor apply it
/// twice. Used from the writer's thread only.
public protocol ReadingObserver: AnyObject {
    /// True when readings of this metric of this asset matter; asked once per series and remembered.
    func watches(assetID: String, metric: String) -> Bool
    /// The batch's watched readings, in arrival order, just before it commits — also with none when
    /// `hasPendingWrites`. Throwing rolls the batch back.
    func batchWillCommit(_ readings: [ObservedReading], db: Connection) throws
    /// True when the observer has something of its own to write (delivery results of the notifier): the writer
    /// then calls `batchWillCommit` even for a batch without watched readings, and commits one when idle.
    var hasPendingWrites: Bool { get }
    /// The batch committed: what it decided may be announced now.
    func batchDidCommit()
    /// The batch rolled back: what it decided never happened.
    func batchDidRollBack()
}

extension ReadingObserver {
    public var hasPendingWrites: Bool { false }
}
