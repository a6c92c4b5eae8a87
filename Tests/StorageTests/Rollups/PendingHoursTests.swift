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

    @Test("large, negative and sparse series ids work as well (chains kept outside the dense array)")
    func largeSeriesIDs() {
        var table = PendingHours(empty: 0)
        for series: Int64 in [1 << 40, 5, 1 << 22, (1 << 22) + 1, -3] {
            #expect(add(&table, series, 0, 1))
            #expect(!add(&table, series, 0, 1))
            #expect(table[Key(series: series, bucket: 0)] == 2)
        }
        #expect(table.count == 5)
        table.removeValue(forKey: Key(series: 1 << 40, bucket: 0))
        #expect(table[Key(series: 1 << 40, bucket: 0)] == nil)
        #expect(table.count == 4)
    }

    @Test("a series holds several hours at once (a late reading); removing one keeps the others, whichever it is")
    func severalHoursPerSeries() {
        for removed in [Int64(0), 3_600, 7_200] {
            var table = PendingHours(empty: 0)
            for bucket in [Int64(0), 3_600, 7_200] { #expect(add(&table, 1, bucket, Int(bucket / 3_600) + 1)) }
            #expect(!add(&table, 1, 3_600, 10))  // an older hour, found down the series' chain
            table.removeValue(forKey: Key(series: 1, bucket: removed))
            #expect(table.count == 2)
            #expect(table[Key(series: 1, bucket: removed)] == nil)
            for bucket in [Int64(0), 3_600, 7_200] where bucket != removed {
                #expect(table[Key(series: 1, bucket: bucket)] == (bucket == 3_600 ? 12 : Int(bucket / 3_600) + 1))
            }
            #expect(add(&table, 1, removed, 100))  // starts again from empty
            #expect(table[Key(series: 1, bucket: removed)] == 100)
        }
    }

    @Test("hours marked written are removed together; unmarked ones stay, and clearing the marks keeps them all")
    func writtenMarks() {
        var table = PendingHours(empty: 0)
        var slots: [Key: Int] = [:]
        for (series, bucket) in [(Int64(1), Int64(0)), (1, 3_600), (2, 0), (3, 0)] {
            let key = Key(series: series, bucket: bucket)
            slots[key] = table.slot(for: key).slot
            table[slot: slots[key]!] = 1
        }
        table.markWritten(slot: slots[Key(series: 1, bucket: 0)]!)
        table.markWritten(slot: slots[Key(series: 2, bucket: 0)]!)
        table.markWritten(slot: slots[Key(series: 2, bucket: 0)]!)  // twice: still one removal
        #expect(table.isWritten(Key(series: 2, bucket: 0)))
        #expect(!table.isWritten(Key(series: 3, bucket: 0)))
        table.clearWrittenMarks()
        table.removeWritten()
        #expect(table.count == 4)
        table.markWritten(slot: slots[Key(series: 1, bucket: 0)]!)
        table.markWritten(slot: slots[Key(series: 2, bucket: 0)]!)
        table.removeWritten()
        #expect(Set(table.keys) == [Key(series: 1, bucket: 3_600), Key(series: 3, bucket: 0)])
        #expect(table.liveSlots.allSatisfy { !table.isWritten(slot: $0) })
        #expect(add(&table, 2, 0, 5))
        #expect(table[Key(series: 2, bucket: 0)] == 5)
    }
}
