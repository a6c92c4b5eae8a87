/// What a rule judged on a series' earlier readings keeps between readings (stored with its condition, so a
/// restart neither forgets the previous index nor starts a "stuck for 12 h" over).
public struct ReadingMemory: Sendable, Equatable, Codable {
    public struct TimedValue: Sendable, Equatable, Codable {
        public var time: Int64
        public var value: Double

        public init(time: Int64, value: Double) {
            self.time = time
            self.value = value
        }
    }

    /// The newest reading judged (`rate_of_change`, `counter_rollback`).
    public var previous: TimedValue?
    /// The first reading of the current run of equal values (`stuck`).
    public var anchor: TimedValue?

    /// `night_flow`: the night being measured (the start of its window), its lowest flow so far, the nights in a row
    /// whose lowest flow was above the level, and the start of the first of them.
    public var night: Int64?
    public var nightMinimum: Double?
    public var nightsAbove: Int?
    public var firstNightAbove: Int64?

    public init(previous: TimedValue? = nil, anchor: TimedValue? = nil) {
        self.previous = previous
        self.anchor = anchor
    }

    public var isEmpty: Bool { self == ReadingMemory() }
}
