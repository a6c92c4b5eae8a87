import Testing
@testable import Ingest

struct JSONParserTests {
    @Test("parses objects, arrays, escapes and numbers exactly")
    func parsesDocuments() throws {
        let value = try JSONParser.parse(#"{"a":[1,-2.5,3e2,true,null],"s":"caf\u00e9 \"ok\" \ud83d\ude00","n":{"x":0}}"#)
        #expect(value["a"] == .array([.number(1), .number(-2.5), .number(300), .bool(true), .null]))
        #expect(value["s"] == .string("café \"ok\" 😀"))
        #expect(value.value(at: "n.x") == .number(0))
        #expect(value.value(at: "a.1") == .number(-2.5))
    }

    @Test("large integers keep the precision a double allows")
    func largeIntegers() throws {
        #expect(try JSONParser.parse("9007199254740993") == .number(9007199254740992))
        #expect(try JSONParser.parse("123456789012") == .number(123456789012))
    }

    @Test("malformed input is refused with the offset and the reason", arguments: [
        ("", "empty payload"),
        (#"{"a":1"#, "truncated"),
        (#"{"a":1,}"#, "expected a quoted member name"),
        ("[1 2]", "expected ',' or ']'"),
        ("nul", "truncated"),
        (#"{"a":NaN}"#, "unexpected character"),
        ("1e999", "out of range"),
        ("{} x", "after the JSON value"),
        ("\"\u{01}\"", "control character"),
    ])
    func malformed(input: String, reason: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
        do { _ = try JSONParser.parse(input) } catch { #expect(error.description.contains(reason), "\(error.description)") }
    }

    @Test("invalid UTF-8 and deep nesting are refused, not crashed on")
    func hostileInput() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        do {
            _ = try JSONParser.parse(deep)
            Issue.record("deep nesting accepted")
        } catch {
            #expect(error.description.contains("nesting deeper"))
        }
    }

    static let skipRule = JSONSkipRule(skipping: ["id", "blob"], members: [
        "info": JSONSkipRule(skipping: ["name"]),
        "rx": JSONSkipRule(elements: JSONSkipRule(skipping: ["meta"])),
    ])

    @Test("members a skip rule names become null in place; the rest, and the same names elsewhere, parse as without it")
    func skippedMembers() throws {
        let text = #"{"id":"925289e7-3132-474b","info":{"name":"Lampadaire rue des \u00c9coles","eui":"70b3d5e75e100b49"},"rx":[{"meta":{"a":[1,2]},"rssi":-80},{"rssi":-90,"meta":"x"}],"blob":[{"z":null}],"object":{"id":7,"name":"kept","blob":"b"}}"#
        let full = try JSONParser.parse(Array(text.utf8))
        let skipped = try JSONParser.parse(Array(text.utf8), skipping: Self.skipRule)
        #expect(skipped["id"] == .null)
        #expect(skipped["blob"] == .null)
        #expect(skipped.value(at: "info.name") == .null)
        #expect(skipped.value(at: "info.eui") == .string("70b3d5e75e100b49"))
        #expect(skipped["rx"] == .array([.object(JSONObject([("meta", .null), ("rssi", .number(-80))])),
                                         .object(JSONObject([("rssi", .number(-90)), ("meta", .null)]))]))
        #expect(skipped["object"] == full["object"])
        #expect(skipped.objectValue.map { Array($0.keys) } == full.objectValue.map { Array($0.keys) })
    }

    @Test("bad JSON inside a skipped member is refused with the same offset and reason", arguments: [
        #"{"id":"abc"#, #"{"id":"a\qb"}"#, #"{"id":[1 2]}"#, #"{"id":{"a":1,}}"#, #"{"id":{"a" 1}}"#, #"{"id":tru}"#,
        "{\"id\":\"\u{01}\"}", #"{"id":1e999}"#, #"{"id":-}"#, #"{"id":"#, #"{"id":{"#, #"{"id":[1,"#,
        #"{"id":"\ud800"}"#, "{\"id\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}",
    ])
    func malformedInsideSkipped(input: String) {
        func failure(_ rule: JSONSkipRule?) -> String? {
            do { _ = try JSONParser.parse(Array(input.utf8), skipping: rule); return nil } catch { return error.description }
        }
        let expected = failure(nil)
        #expect(expected != nil)
        #expect(failure(Self.skipRule) == expected)
    }

    @Test("invalid UTF-8 inside a skipped string is refused")
    func invalidUTF8InsideSkipped() {
        let bytes: [UInt8] = Array(#"{"id":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes, skipping: Self.skipRule) }
    }
}
