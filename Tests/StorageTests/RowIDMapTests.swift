import Testing
@testable import Storage

struct RowIDMapTests {
    @Test("values by id, dense and beyond the dense range alike, and their ids in the order first set")
    func storesByID() {
        var map = RowIDMap<String>()
        #expect(map.isEmpty)
        let far = RowIDMap<String>.denseLimit + 10
        map[3] = "three"
        map[far] = "far"
        map[-7] = "negative"
        map[3] = "THREE"
        map[0] = "zero"
        #expect(map[3] == "THREE")
        #expect(map[far] == "far")
        #expect(map[-7] == "negative")
        #expect(map[0] == "zero")
        #expect(map[1] == nil)
        #expect(map[4] == nil)
        #expect(map[1_000] == nil)
        #expect(map[far + 1] == nil)
        #expect(map.ids == [3, far, -7, 0])
    }

    @Test("removeAll forgets every value, and the map is usable again")
    func removesAll() {
        var map = RowIDMap<Int>()
        for id in Int64(0)..<500 { map[id * 3] = Int(id) }
        map[RowIDMap<Int>.denseLimit * 2] = -1
        map.removeAll()
        #expect(map.isEmpty)
        #expect(map.ids.isEmpty)
        for id in Int64(0)..<1_500 { #expect(map[id] == nil) }
        #expect(map[RowIDMap<Int>.denseLimit * 2] == nil)
        map[6] = 60
        #expect(map[6] == 60)
        #expect(map.ids == [6])
    }

    @Test("setting nil where nothing is stored changes nothing")
    func nilOnAbsentIsNoOp() {
        var map = RowIDMap<Int>()
        map[5] = nil
        map[RowIDMap<Int>.denseLimit + 1] = nil
        #expect(map.isEmpty)
    }
}
