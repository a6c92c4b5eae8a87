import Testing
@testable import Ingest

struct HashPositionTableTests {
    @Test("finds, replaces and removes positions, in step with a dictionary over a long random run")
    func matchesADictionary() {
        var table = HashPositionTable(capacity: 64)
        var reference: [UInt64: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        // Few distinct hashes, some colliding in their slots: removals must shift the entries after them back.
        let hashes: [UInt64] = (0..<90).map { index in index < 30 ? UInt64(index) : generator.next() }
        for step in 0..<20_000 {
            let hash = hashes.randomElement()!
            if Bool.random() || reference.count >= 64 {
                table.remove(hash)
                reference[hash] = nil
            } else {
                table.set(hash, position: step)
                reference[hash] = step
            }
            #expect(table.count == reference.count)
        }
        for hash in hashes { #expect(table[hash] == reference[hash]) }
    }

    @Test("a hash of 0 is a hash like any other")
    func zeroIsAKey() {
        var table = HashPositionTable(capacity: 4)
        #expect(table[0] == nil)
        table.set(0, position: 7)
        #expect(table[0] == 7)
        table.remove(0)
        #expect(table[0] == nil)
        #expect(table.count == 0)
    }
}
