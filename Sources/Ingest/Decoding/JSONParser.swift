import Foundation

/// A strict RFC 8259 parser over raw bytes. Foundation's `JSONSerialization` is several times slower on
/// Linux and bridges through `NSNumber`; the ingest path parses every message, so it gets its own.
/// Limits (depth, size) exist so that hostile payloads cannot exhaust the stack or memory.
///
/// Built for the hot path: strings are scanned eight bytes at a time, objects' and arrays' elements collect on
/// one scratch stack per parse and are moved into an array of exactly their size when the container closes (one
/// allocation each, no growth), duplicate object keys are caught without comparing every pair of keys, and
/// plain decimals are converted without going through `String`.
public struct JSONParser {
    public static let maximumDepth = 64
    /// Objects with more members than this find duplicate keys through a hash index rather than by comparison.
    static let indexedObjectSize = 32

    /// - Parameter rule: members whose values are checked but not kept (`null` stands in for them).
    public static func parse(_ bytes: [UInt8], skipping rule: JSONSkipRule? = nil) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
            try parse(buffer: buffer, rule: rule)
        }
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in Result { () throws(JSONParseError) -> JSONValue in try parse(buffer: buffer) } }
        return try result.get()
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>, rule: JSONSkipRule? = nil) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(buffer: buffer)
        defer {
            parser.memberStack.release()
            parser.itemStack.release()
        }
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0, rule: rule)
        parser.skipWhitespace()
        guard parser.index == buffer.count else { throw parser.fail("unexpected data after the JSON value") }
        return value
    }

    private let buffer: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// Members of the objects being parsed, innermost last; each object's start is kept by its `parseObject`.
    private var memberStack = ScratchStack<JSONObject.Member>()
    /// Elements of the arrays being parsed, likewise.
    private var itemStack = ScratchStack<JSONValue>()

    private init(buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

    private func fail(_ reason: String) -> JSONParseError { JSONParseError(reason: reason, offset: index) }

    private mutating func skipWhitespace() {
        while index < buffer.count {
            switch buffer[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int, rule: JSONSkipRule? = nil) throws(JSONParseError) -> JSONValue {
        guard index < buffer.count else { throw fail(index == 0 ? "empty payload" : "unexpected end of data (truncated?)") }
        switch buffer[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1, rule: rule)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1, rule: rule?.elements)
        case UInt8(ascii: "\""): return .string(try parseString().string)
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected character '\(Unicode.Scalar(buffer[index]))'")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= buffer.count else { throw fail("unexpected end of data (truncated?)") }
        let base = literal.utf8Start
        for offset in 0..<count where buffer[index + offset] != base[offset] {
            throw fail("invalid literal")
        }
        index += count
    }

    private mutating func parseObject(depth: Int, rule: JSONSkipRule?) throws(JSONParseError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "}") { index += 1; return .object(JSONObject()) }
        let base = memberStack.count
        // A duplicated key keeps its first position and its last value, as `dictionary[key] = value` did. Keys are
        // looked for among the earlier ones only when a 64-bit filter of their raw bytes says they may be there;
        // a key with escapes or non-ASCII bytes may equal one spelled differently (`\u0061`, `e\u0301`), so from
        // the first such key on, every key is looked for. Past `indexedObjectSize` members, a hash index takes
        // over, so that a hostile object with many thousands of keys costs linear time, as it did.
        var seen: UInt64 = 0
        var compareAll = false
        var keyIndex: [String: Int]?
        while true {
            skipWhitespace()
            guard index < buffer.count else { throw fail("unexpected end of data in object (truncated?)") }
            guard buffer[index] == UInt8(ascii: "\"") else { throw fail("expected a quoted member name") }
            let key = try parseString()
            var existing: Int?
            if memberStack.count - base >= Self.indexedObjectSize {
                if keyIndex == nil {
                    var built = [String: Int](minimumCapacity: 2 * Self.indexedObjectSize)
                    for position in base..<memberStack.count { built[memberStack[position].key] = position }
                    keyIndex = built
                }
                existing = keyIndex![key.string]
                if existing == nil { keyIndex![key.string] = memberStack.count }
            } else if key.isPlain && !compareAll {
                let bit: UInt64 = 1 &<< Self.fingerprint(key.raw)
                if seen & bit != 0 { existing = position(of: key.string, from: base) }
                seen |= bit
            } else {
                compareAll = true
                existing = position(of: key.string, from: base)
            }
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: ":") else { throw fail("expected ':' after member name") }
            index += 1
            skipWhitespace()
            let value: JSONValue
            if let rule, key.isPlain {
                if rule.skips(key.raw) {
                    try skipValue(depth: depth)
                    value = .null
                } else {
                    value = try parseValue(depth: depth, rule: rule.rule(for: key.raw))
                }
            } else {
                value = try parseValue(depth: depth)
            }
            if let existing {
                memberStack.replaceValue(at: existing, with: value)
            } else {
                memberStack.push(JSONObject.Member(key: key.string, value: value))
            }
            skipWhitespace()
            guard index < buffer.count else { throw fail("unexpected end of data in object (truncated?)") }
            if buffer[index] == UInt8(ascii: ",") { index += 1; continue }
            if buffer[index] == UInt8(ascii: "}") {
                index += 1
                return .object(JSONObject(uniqueMembers: memberStack.pop(from: base)))
            }
            throw fail("expected ',' or '}' in object")
        }
    }

    /// Where `key` already is among the members of the object that starts at `base`.
    private func position(of key: String, from base: Int) -> Int? {
        var position = base
        while position < memberStack.count {
            if memberStack[position].key == key { return position }
            position += 1
        }
        return nil
    }

    private mutating func parseArray(depth: Int, rule: JSONSkipRule?) throws(JSONParseError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "]") { index += 1; return .array([]) }
        let base = itemStack.count
        while true {
            skipWhitespace()
            let item = try parseValue(depth: depth, rule: rule)
            itemStack.push(item)
            skipWhitespace()
            guard index < buffer.count else { throw fail("unexpected end of data in array (truncated?)") }
            if buffer[index] == UInt8(ascii: ",") { index += 1; continue }
            if buffer[index] == UInt8(ascii: "]") { index += 1; return .array(itemStack.pop(from: base)) }
            throw fail("expected ',' or ']' in array")
        }
    }

    /// Exact powers of ten: a decimal of at most 2^53 in its digits, divided by one of these, is correctly
    /// rounded, hence the same double as `strtod` gives.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    private mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = index
        var negative = false
        if buffer[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard index < buffer.count, isDigit(buffer[index]) else { throw fail("invalid number") }
        // The digits as an integer while it is exact (up to 19 digits), for the fast paths below.
        var mantissa: UInt64 = 0
        var digits = 0
        if buffer[index] == UInt8(ascii: "0") {
            index += 1
            digits = 1
        } else {
            while index < buffer.count, isDigit(buffer[index]) {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(buffer[index] &- 48) }
                digits += 1
                index += 1
            }
        }
        var fractionDigits = 0
        if index < buffer.count, buffer[index] == UInt8(ascii: ".") {
            index += 1
            guard index < buffer.count, isDigit(buffer[index]) else { throw fail("invalid number: digit expected after '.'") }
            while index < buffer.count, isDigit(buffer[index]) {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(buffer[index] &- 48) }
                digits += 1
                fractionDigits += 1
                index += 1
            }
        }
        var hasExponent = false
        if index < buffer.count, buffer[index] == UInt8(ascii: "e") || buffer[index] == UInt8(ascii: "E") {
            hasExponent = true
            index += 1
            if index < buffer.count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-") { index += 1 }
            guard index < buffer.count, isDigit(buffer[index]) else { throw fail("invalid number: digit expected in exponent") }
            while index < buffer.count, isDigit(buffer[index]) { index += 1 }
        }
        if !hasExponent && digits <= 19 {
            // Short plain integers, the most common case in telemetry (`-0` gives 0, as it always has).
            if fractionDigits == 0, index - start <= 15 {
                let integer = Int64(mantissa)
                return Double(negative ? -integer : integer)
            }
            if mantissa <= 1 << 53, fractionDigits < Self.exactPowersOfTen.count {
                let value = Double(mantissa) / Self.exactPowersOfTen[fractionDigits]
                return negative ? -value : value
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw fail("number out of range: \(text.prefix(40))") }
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    /// A parsed string; for member names, whether it is plain ASCII without escapes (its bytes are then its only
    /// spelling: no other key equals it unless it has the same bytes) and those bytes.
    private struct ParsedString {
        var string: String
        var isPlain: Bool
        var raw: UnsafeBufferPointer<UInt8>
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The bytes of `word` (little-endian) that are `"`, `\` or a control character, flagged by their high bit.
    /// The lowest flag is always exact (the borrow that can flag a byte wrongly only runs upwards), which is all
    /// the scan needs.
    @inline(__always)
    private static func specialBytes(_ word: UInt64) -> UInt64 {
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let isQuote = (quote &- ones) & ~quote
        let isBackslash = (backslash &- ones) & ~backslash
        let isControl = (word &- ones &* 0x20) & ~word
        return (isQuote | isBackslash | isControl) & highBits
    }

    private mutating func parseString() throws(JSONParseError) -> ParsedString {
        let (raw, hasEscapes, isASCII) = try scanString()
        if hasEscapes { return ParsedString(string: try unescape(raw), isPlain: false, raw: raw) }
        if isASCII {
            return ParsedString(string: String(decoding: raw, as: UTF8.self), isPlain: true, raw: raw)
        }
        guard let string = String(validating: raw, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
        return ParsedString(string: string, isPlain: false, raw: raw)
    }

    /// Finds the end of the string that starts at `index` (a quote) and moves past it: its bytes between the quotes,
    /// whether it has escapes, and whether all its bytes are ASCII.
    private mutating func scanString() throws(JSONParseError) -> (raw: UnsafeBufferPointer<UInt8>, hasEscapes: Bool, isASCII: Bool) {
        index += 1 // opening quote
        let start = index
        let count = buffer.count
        let base = UnsafeRawPointer(buffer.baseAddress!) // a quote is at `start - 1`: the buffer is not empty
        var hasEscapes = false
        var orBytes: UInt64 = 0
        while true {
            // Eight bytes at a time up to the first quote, backslash or control character.
            while index &+ 8 <= count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let special = Self.specialBytes(word)
                if special == 0 {
                    orBytes |= word
                    index &+= 8
                    continue
                }
                let ordinary = special.trailingZeroBitCount &>> 3
                orBytes |= word & ((1 &<< (UInt64(ordinary) &* 8)) &- 1)
                index &+= ordinary
                break
            }
            guard index < count else { break }
            let byte = buffer[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") { hasEscapes = true; index += 2; continue }
            if byte < 0x20 { throw fail("control character in string") }
            orBytes |= UInt64(byte)
            index += 1
        }
        guard index < count else { throw fail("unterminated string (truncated?)") }
        let raw = UnsafeBufferPointer(rebasing: buffer[start..<index])
        index += 1 // closing quote
        return (raw, hasEscapes, orBytes & Self.highBits == 0)
    }

    // MARK: - Skipping (members a `JSONSkipRule` names): checked as strictly as parsed, nothing kept

    private mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard index < buffer.count else { throw fail("unexpected end of data (truncated?)") }
        switch buffer[index] {
        case UInt8(ascii: "{"): try skipObject(depth: depth + 1)
        case UInt8(ascii: "["): try skipArray(depth: depth + 1)
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseNumber()
        default: throw fail("unexpected character '\(Unicode.Scalar(buffer[index]))'")
        }
    }

    private mutating func skipString() throws(JSONParseError) {
        let (raw, hasEscapes, isASCII) = try scanString()
        // Rare: the escapes and the UTF-8 are checked by building the string.
        if hasEscapes {
            _ = try unescape(raw)
        } else if !isASCII, String(validating: raw, as: UTF8.self) == nil {
            throw fail("invalid UTF-8 in string")
        }
    }

    private mutating func skipObject(depth: Int) throws(JSONParseError) {
        guard depth <= Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard index < buffer.count else { throw fail("unexpected end of data in object (truncated?)") }
            guard buffer[index] == UInt8(ascii: "\"") else { throw fail("expected a quoted member name") }
            try skipString()
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: ":") else { throw fail("expected ':' after member name") }
            index += 1
            skipWhitespace()
            try skipValue(depth: depth)
            skipWhitespace()
            guard index < buffer.count else { throw fail("unexpected end of data in object (truncated?)") }
            if buffer[index] == UInt8(ascii: ",") { index += 1; continue }
            if buffer[index] == UInt8(ascii: "}") { index += 1; return }
            throw fail("expected ',' or '}' in object")
        }
    }

    private mutating func skipArray(depth: Int) throws(JSONParseError) {
        guard depth <= Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "]") { index += 1; return }
        while true {
            skipWhitespace()
            try skipValue(depth: depth)
            skipWhitespace()
            guard index < buffer.count else { throw fail("unexpected end of data in array (truncated?)") }
            if buffer[index] == UInt8(ascii: ",") { index += 1; continue }
            if buffer[index] == UInt8(ascii: "]") { index += 1; return }
            throw fail("expected ',' or ']' in array")
        }
    }

    /// Six bits of a hash of a member name's bytes: its length and its first and last (up to) eight bytes.
    private static func fingerprint(_ raw: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let count = raw.count
        guard count > 0, let base = UnsafeRawPointer(raw.baseAddress) else { return 0 }
        let head: UInt64, tail: UInt64
        if count >= 8 {
            head = base.loadUnaligned(as: UInt64.self)
            tail = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 {
            head = UInt64(base.loadUnaligned(as: UInt32.self))
            tail = UInt64(base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
        } else {
            head = UInt64(raw[0]) | UInt64(raw[count >> 1]) << 8
            tail = UInt64(raw[count - 1])
        }
        var hash = (head &* 0x9E37_79B9_7F4A_7C15) ^ (tail &+ UInt64(count)) &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash &>> 29
        return (hash &* 0xFF51_AFD7_ED55_8CCD) &>> 58
    }

    private func unescape(_ raw: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var value: UInt32 = 0
            for k in at..<(at + 4) {
                let c = raw[k]
                let digit: UInt32
                switch c {
                case 48...57: digit = UInt32(c - 48)
                case 65...70: digit = UInt32(c - 55)
                case 97...102: digit = UInt32(c - 87)
                default: return nil
                }
                value = value << 4 | digit
            }
            return value
        }
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else { bytes.append(byte); i += 1; continue }
            guard i + 1 < raw.count else { throw fail("invalid escape") }
            let escaped = raw[i + 1]
            i += 2
            switch escaped {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else { throw fail("invalid \\u escape") }
                i += 4
                if (0xD800...0xDBFF).contains(scalar), i + 1 < raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                   let low = hex4(i + 2), (0xDC00...0xDFFF).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape (lone surrogate)") }
                UTF8.encode(unicode) { bytes.append($0) }
            default: throw fail("invalid escape '\\\(Unicode.Scalar(escaped))'")
            }
        }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
        return string
    }
}

/// The parser's scratch stack: elements of the containers being parsed, in memory it manages itself so that a
/// closing container's elements are moved (not copied, retained and released) into their final array.
private struct ScratchStack<Element> {
    private var storage: UnsafeMutablePointer<Element>?
    private var capacity = 0
    private(set) var count = 0

    subscript(position: Int) -> Element { storage![position] }

    mutating func push(_ element: consuming Element) {
        if count == capacity {
            let newCapacity = Swift.max(32, capacity * 2)
            let newStorage = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
            if let storage {
                newStorage.moveInitialize(from: storage, count: count)
                storage.deallocate()
            }
            storage = newStorage
            capacity = newCapacity
        }
        (storage! + count).initialize(to: element)
        count += 1
    }

    mutating func replaceValue(at position: Int, with value: JSONValue) where Element == JSONObject.Member {
        storage![position].value = value
    }

    /// The elements from `start` on, moved into an array of exactly their number; the stack ends at `start`.
    mutating func pop(from start: Int) -> [Element] {
        let popped = count - start
        guard popped > 0, let storage else { return [] }
        count = start
        return [Element](unsafeUninitializedCapacity: popped) { target, initialized in
            target.baseAddress!.moveInitialize(from: storage + start, count: popped)
            initialized = popped
        }
    }

    /// Destroys what a failed parse left and frees the memory.
    mutating func release() {
        guard let storage else { return }
        storage.deinitialize(count: count)
        storage.deallocate()
        self.storage = nil
        capacity = 0
        count = 0
    }
}
