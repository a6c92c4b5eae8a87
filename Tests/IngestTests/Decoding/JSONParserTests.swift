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
}
