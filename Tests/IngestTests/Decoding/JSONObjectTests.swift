import Testing
@testable import Ingest

struct JSONObjectTests {
    @Test("members keep document order; lookups, count and keys behave as a dictionary's")
    func documentOrder() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":"x","m":null,"b":[true]}"#)
        let object = try #require(value.objectValue)
        #expect(object.count == 4)
        #expect(!object.isEmpty)
        #expect(Array(object.keys) == ["z", "a", "m", "b"])
        #expect(Array(object.values) == [.number(1), .string("x"), .null, .array([.bool(true)])])
        #expect(object["a"] == .string("x"))
        #expect(object["m"] == .null)
        #expect(object["missing"] == nil)
        var pairs: [String] = []
        for (key, value) in object { pairs.append("\(key)=\(value)") }
        #expect(pairs.count == 4 && pairs[0] == "z=number(1.0)")
        #expect(Array(object.sortedByKey().keys) == ["a", "b", "m", "z"])
        #expect(try #require(JSONParser.parse("{}").objectValue).isEmpty)
    }

    @Test("a duplicated key keeps its first position and its last value, as the Dictionary did")
    func duplicateKeys() throws {
        let object = try #require(JSONParser.parse(#"{"a":1,"b":2,"a":{"x":3},"c":4,"b":5}"#).objectValue)
        #expect(Array(object.keys) == ["a", "b", "c"])
        #expect(object["a"] == .object(["x": .number(3)]))
        #expect(object["b"] == .number(5))
        // Keys are Swift strings: an escape, or another spelling of the same characters, is the same key.
        let spelled = try #require(JSONParser.parse(#"{"a":1,"\u0061":2,"é":3,"e\u0301":4,"\u212A":5,"K":6}"#).objectValue)
        #expect(spelled.count == 3)
        #expect(spelled["a"] == .number(2))
        #expect(spelled["é"] == .number(4))
        #expect(spelled["e\u{301}"] == .number(4))
        #expect(spelled["K"] == .number(6))
    }

    @Test("random objects with repeated keys parse to what a Dictionary with last-wins assignment holds")
    func randomDuplicates() throws {
        var generator = JournalChecksumTests.SplitMix64(state: 0xD0B1E)
        let keys = ["a", "b", "rssi", "snr", "deviceProfileName", "deviceProfileNamf", "", "k\\\"", "\\u0062", "é", "e\\u0301"]
        for _ in 0..<2_000 {
            var text = "{"
            var expected: [String: JSONValue] = [:]
            var order: [String] = []
            for index in 0..<Int.random(in: 0...40, using: &generator) {
                let key = keys[Int.random(in: 0..<keys.count, using: &generator)]
                let number = Int.random(in: 0...1_000, using: &generator)
                text += (index == 0 ? "" : ",") + "\"\(key)\":\(number)"
                let parsedKey = try #require(JSONParser.parse("\"\(key)\"").stringValue)
                if expected[parsedKey] == nil { order.append(parsedKey) }
                expected[parsedKey] = .number(Double(number))
            }
            text += "}"
            let object = try #require(JSONParser.parse(text).objectValue, "\(text)")
            #expect(Array(object.keys) == order, "\(text)")
            #expect(object.count == expected.count, "\(text)")
            for (key, value) in expected { #expect(object[key] == value, "\(text): \(key)") }
        }
    }

    @Test("an object with tens of thousands of keys, each given twice, parses in linear time with dictionary semantics")
    func largeObjects() throws {
        let count = 30_000
        var text = "{"
        for index in 0..<count { text += "\"k\(index)\":\(index)," }
        for index in stride(from: count - 1, through: 0, by: -1) { text += "\"k\(index)\":\(-index)," }
        text += "\"é\":1,\"e\\u0301\":2}"
        let object = try #require(JSONParser.parse(text).objectValue)
        #expect(object.count == count + 1)
        #expect(object.first?.key == "k0")
        #expect(object["k0"] == .number(0))
        #expect(object["k29999"] == .number(-29_999))
        #expect(object["k12345"] == .number(-12_345))
        #expect(object["é"] == .number(2))
        #expect(object.keys.prefix(3).elementsEqual(["k0", "k1", "k2"]))
        #expect(object == JSONObject(object.reversed().map { ($0.key, $0.value) }))
        #expect(object != JSONObject(object.map { ($0.key, $0.key == "k7" ? .null : $0.value) }))
    }

    @Test("equality ignores member order, as a Dictionary's did")
    func equality() {
        let ab: JSONObject = ["a": .number(1), "b": .array([.null])]
        let ba: JSONObject = ["b": .array([.null]), "a": .number(1)]
        #expect(ab == ba)
        #expect(JSONValue.object(ab) == .object(ba))
        #expect(ab != ["a": .number(1), "b": .array([])])
        #expect(ab != ["a": .number(1)])
        #expect(ab != ["a": .number(1), "c": .array([.null])])
        #expect(JSONObject() == [:])
    }

    @Test("editing: set, replace, remove, filter and mapValues keep order and unique keys")
    func editing() {
        var object: JSONObject = ["a": .number(1), "b": .number(2)]
        object["c"] = .number(3)
        object["a"] = .string("one")
        #expect(Array(object.keys) == ["a", "b", "c"])
        #expect(object["a"] == .string("one"))
        object["b"] = nil
        #expect(Array(object.keys) == ["a", "c"])
        #expect(object.removeValue(forKey: "c") == .number(3))
        #expect(object.removeValue(forKey: "c") == nil)
        #expect(object == ["a": .string("one")])
        let numbers: JSONObject = ["x": .number(1), "y": .number(2), "z": .number(3)]
        #expect(numbers.filter { $0.key != "y" } == ["x": .number(1), "z": .number(3)])
        #expect(numbers.mapValues { .number(($0.doubleValue ?? 0) * 10) } == ["x": .number(10), "y": .number(20), "z": .number(30)])
        #expect(JSONObject([("k", .null), ("k", .bool(true))]) == ["k": .bool(true)])
    }
}
