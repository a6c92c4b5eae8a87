import Testing
@testable import Storage

struct PendingHoursTests {
    typealias Key = RollupKey

    func add(_ table: inout PendingHours<Int>, _ series: Int64, _ bucket: Int64, _ amount: Int) -> Bool {
        let (slot, isNew) = table.slot(for: Key(series: series, bucket: bucket))
        table[slot: slot] += amount
        return isNew
    }

    @Test("sums by (series, hour), whichever order the hours come in; new keys are reported once")
    func sumsByKey() {
        var table = PendingHours(empty: 0)
        var news = 0
        for (series, bucket, amount) in [(Int64(1), Int64(0), 1), (2, 0, 10), (1, 0, 2), (1, 3_600, 4), (1, 0, 8), (2, 0, 20), (1, 3_600, 16)] {
            if add(&table, series, bucket, amount) { news += 1 }
        }
        #expect(news == 3)
        #expect(table.count == 3)
        #expect(table[Key(series: 1, bucket: 0)] == 11)
        #expect(table[Key(series: 1, bucket: 3_600)] == 20)
        #expect(table[Key(series: 2, bucket: 0)] == 30)
        #expect(table[Key(series: 3, bucket: 0)] == nil)
        #expect(Set(table.keys) == [Key(series: 1, bucket: 0), Key(series: 1, bucket: 3_600), Key(series: 2, bucket: 0)])
    }

    @Test("a removed hour starts again from empty, even when its slot went to another series meanwhile")
    func removalAndReuse() {
        var table = PendingHours(empty: 0)
        _ = add(&table, 1, 0, 5)
        table.removeValue(forKey: Key(series: 1, bucket: 0))
        #expect(table.isEmpty)
        #expect(add(&table, 2, 0, 7))          // takes the freed slot
        #expect(add(&table, 1, 0, 1))          // series 1's remembered slot is now series 2's: not reused
        #expect(table[Key(series: 1, bucket: 0)] == 1)
        #expect(table[Key(series: 2, bucket: 0)] == 7)
        table.removeAll()
        #expect(table.isEmpty)
        #expect(add(&table, 2, 0, 3))
        #expect(add(&table, 1, 0, 4))
        #expect(table[Key(series: 1, bucket: 0)] == 4)
        #expect(table[Key(series: 2, bucket: 0)] == 3)
    }

    @Test("large and sparse series ids work through the dictionary alone")
    func largeSeriesIDs() {
        var table = PendingHours(empty: 0)
        for series: Int64 in [1 << 40, 5, 1 << 22, (1 << 22) + 1] {
            #expect(add(&table, series, 0, 1))
            #expect(!add(&table, series, 0, 1))
            #expect(table[Key(series: series, bucket: 0)] == 2)
        }
        #expect(table.count == 4)
    }
}
