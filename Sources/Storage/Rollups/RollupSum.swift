/// Several rollup rows made into one (a day from its hours): counts, sums and consumptions added, the extremes
/// kept, and the first and last values of the earliest and latest rows. As SQL's `sum`, the consumption is nil
/// when no row has one (gauges).
struct RollupSum {
    private(set) var count: Int64 = 0
    private(set) var sum = 0.0
    private(set) var min = Double.infinity
    private(set) var max = -Double.infinity
    private(set) var first: (time: Int64, value: Double) = (.max, 0)
    private(set) var last: (time: Int64, value: Double) = (.min, 0)
    private(set) var consumption: Double?

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
