/// An aggregate of readings (an hour summed in memory, reading by reading) or of rollup rows (a day made of its
/// hours): counts, sums and consumptions added, the extremes kept, and the values at the earliest and latest
/// times. As SQL's `sum`, the consumption is nil when nothing has one (gauges and states).
struct RollupSum {
    private(set) var count: Int64 = 0
    private(set) var sum = 0.0
    private(set) var min = Double.infinity
    private(set) var max = -Double.infinity
    private(set) var first: (time: Int64, value: Double) = (.max, 0)
    private(set) var last: (time: Int64, value: Double) = (.min, 0)
    /// For counters, the increase ending in the period (the accumulator adds to it as increases are known).
    var consumption: Double?

    /// Adds one reading.
    mutating func add(time: Int64, value: Double) {
        add(count: 1, sum: value, min: value, max: value, first: (time, value), last: (time, value), consumption: nil)
    }

    /// Adds a row that already aggregates readings.
    mutating func add(count: Int64, sum: Double, min: Double, max: Double, first: (time: Int64, value: Double),
                      last: (time: Int64, value: Double), consumption: Double?) {
        self.count += count
        self.sum += sum
        self.min = Swift.min(self.min, min)
        self.max = Swift.max(self.max, max)
        if first.time < self.first.time { self.first = first }
        if last.time > self.last.time { self.last = last }
        if let consumption { self.consumption = (self.consumption ?? 0) + consumption }
    }
}
