import Foundation
import Testing
@testable import Ingest

/// Pins the byte-level fast paths (ByteText, TimestampParser's trimming and same-offset shortcut, the topic and
/// path splits) against the code they replaced, kept here as the reference, on many generated inputs.
struct ByteTextTests {
    /// A deterministic pseudo-random generator, so that a failure can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    /// Separators next to ASCII, combining marks (U+0301, U+200D, U+0903), a prepended concatenation mark
    /// (U+0600), non-ASCII letters, flags, CR LF, and Unicode and ASCII whitespace.
    static let pieces: [String] = [
        "/", ".", ":", "a", "Z", "0", "7", "é", "e\u{301}", "\u{301}", "\u{200D}", "\u{903}", "\u{600}", "日", "😀",
        "🇫🇷", "\r", "\n", "\r\n", " ", "\t", "\u{A0}", "\u{2003}", "\u{3000}", "\u{85}", "\u{0B}", "\u{0C}", "\u{FEFF}",
        "//", "..", "::", "up", "event", "-", "+", "#", "Temperature",
    ]

    static func randomTexts(seed: UInt64, count: Int) -> [String] {
        var generator = Generator(state: seed)
        var texts: [String] = ["", "/", ".", ":", "//", "..", "::", "a", "a/", "/a", "a.b", ".a.", "/\u{301}", "\u{600}/",
                               "a/\u{301}b", "a\u{600}/b", "a/b/\u{903}", "é/é", "é.é", ":é", "é:", "a:\u{301}b"]
        for _ in 0..<count {
            var text = ""
            for _ in 0..<generator.below(12) { text += generator.pick(pieces) }
            texts.append(text)
        }
        return texts
    }

    @Test("components, lastComponent, firstNonEmptyComponent and lastNonEmptyComponent are the Character-level splits")
    func splits() {
        for text in Self.randomTexts(seed: 1, count: 40_000) {
            for separator in ["/", ".", ":"] as [Character] {
                let byte = separator.asciiValue!
                let reference = text.split(separator: separator, omittingEmptySubsequences: false)
                #expect(ByteText.components(text, separator: byte).map(String.init) == reference.map(String.init), "\(text.debugDescription)")
                #expect(String(ByteText.lastComponent(text, separator: byte)) == reference.last.map(String.init), "\(text.debugDescription)")
                let first = text.split(separator: separator, maxSplits: 1).first.map(String.init) ?? text
                #expect(String(ByteText.firstNonEmptyComponent(text, separator: byte)) == first, "\(text.debugDescription)")
                let last = text.split(separator: separator).last.map(String.init)
                #expect(ByteText.lastNonEmptyComponent(text, separator: byte).map(String.init) == last, "\(text.debugDescription)")
            }
        }
    }

    @Test("TopicLevels.split keeps empty levels and non-ASCII text as the Character-level split did")
    func topicLevels() {
        for text in Self.randomTexts(seed: 2, count: 5_000) + ["application/1/device/0102030405060708/event/up", "z2m/salle des fêtes/😀", "/a//b/"] {
            #expect(TopicLevels.split(text) == text.split(separator: "/", omittingEmptySubsequences: false).map(String.init))
        }
    }

    @Test("trimmingWhitespaces is trimmingCharacters(in: .whitespaces)")
    func trimming() {
        var texts = Self.randomTexts(seed: 3, count: 20_000)
        // Every scalar of the BMP's first blocks and some beyond, alone and around text.
        for value in Array(0..<0x3100) + [0xFEFF, 0x1F600, 0x10FFFF] {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let s = String(scalar)
            texts += [s, s + "1", "1" + s, s + " 1 " + s, " " + s, s + "\t", "\t" + s + "x" + s + " "]
        }
        for text in texts {
            #expect(String(ByteText.trimmingWhitespaces(text)) == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
            #expect(String(ByteText.trimmingWhitespacesAndNewlines(text)) == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
            if let payload = Optional(Array(text.utf8)) {
                #expect(PayloadText.trimmed(payload) == String(validating: payload, as: UTF8.self)?.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }

    @Test("LoRaWAN.number reads numeric strings as before")
    func loRaWANNumber() {
        let texts = ["-80.000000", " -80.5 ", "\t12\t", "12 ", " 12", "1e3", "nan", "inf", " ", "", "12\n", "\u{A0}12", "12\u{3000}", "0x1F", "+7", "١٢"]
            + Self.randomTexts(seed: 4, count: 5_000)
        for text in texts {
            let reference = Double(text.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
            #expect(LoRaWAN.number(.string(text)) == reference, "\(text.debugDescription)")
        }
    }

    @Test("JSONValue.value(at:) follows dotted paths as the Character-level split did")
    func dottedPaths() throws {
        let document = try JSONParser.parse(#"{"a":{"b":[10,{"c":"x","":{"":5}},30],"é":{"\u0301":1},"":{"d":2}},"modulation":{"lora":{"spreadingFactor":7}},"e\u0301":{"f":3}, ".":4, "a.b":6}"#)
        func reference(_ value: JSONValue, _ path: String) -> JSONValue? {
            var current: JSONValue? = value
            for component in path.split(separator: ".", omittingEmptySubsequences: false) {
                switch current {
                case .object(let members)?: current = members[String(component)]
                case .array(let items)?:
                    guard let index = Int(component), items.indices.contains(index) else { return nil }
                    current = items[index]
                default: return nil
                }
            }
            return current
        }
        var paths = ["a.b.0", "a.b.1.c", "a.b.1..", "a.b.1.", "a..d", ".", "", "a.b.2", "a.b.3", "a.b.-1", "a.b.+1", "a.b.01",
                     "a.é.\u{301}", "a.e\u{301}", "e\u{301}.f", "é.f", "modulation.lora.spreadingFactor", "a.b", "a.b.1.c.x"]
        var generator = Generator(state: 5)
        let segments = ["a", "b", "c", "d", "0", "1", "2", "", "é", "\u{301}", "e\u{301}", "modulation", "lora", "spreadingFactor", "x"]
        for _ in 0..<20_000 {
            paths.append((0..<(1 + generator.below(5))).map { _ in generator.pick(segments) }.joined(separator: "."))
        }
        for path in paths + Self.randomTexts(seed: 6, count: 5_000) {
            #expect(document.value(at: path) == reference(document, path), "\(path.debugDescription)")
        }
    }

    @Test("LoRaWAN.chirpStackEvent reads the topic's last level as before")
    func chirpStackTopics() throws {
        let root = try #require(JSONParser.parse(#"{"devAddr":"01020304"}"#).objectValue)
        let events: [String: LoRaWAN.Event] = ["up": .uplink, "rx": .uplink, "status": .status, "join": .join, "ack": .ignored]
        var topics = ["application/1/device/0102030405060708/event/up", "a/b/status", "up", "/up", "up/", "a//join", "a/\u{301}up",
                      "a/up\u{301}", "a\u{600}/up", "é/up", "x/ack"]
        var generator = Generator(state: 7)
        for _ in 0..<10_000 {
            topics.append((0..<(1 + generator.below(4))).map { _ in generator.pick(["a", "", "é", "up", "status", "join", "\u{301}", "\u{600}", "event"]) }.joined(separator: "/"))
        }
        for topic in topics {
            let last = topic.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            // Without a known event name the payload decides: devAddr means a join.
            let expected = events[last] ?? .join
            #expect(try LoRaWAN.chirpStackEvent(topic: topic, root: root, format: "test") == expected, "\(topic.debugDescription)")
        }
    }

    @Test("ThingsStackV3Decoder.containsWildcard is Foundation's substring search for + and #")
    func wildcards() {
        let texts = Self.randomTexts(seed: 9, count: 5_000) + ["dev+1", "dev#", "+", "#", "é+", "+\u{301}", "#\u{301}", "\u{600}#", "dev", ""]
        for text in texts {
            #expect(ThingsStackV3Decoder.containsWildcard(text) == (text.contains("+") || text.contains("#")), "\(text.debugDescription)")
        }
    }

    static let zones = ["Europe/Paris", "UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Apia",
                        "America/Sao_Paulo", "Pacific/Chatham", "Africa/Casablanca", "Europe/Dublin"]

    @Test("TimestampParser gives the results of the code it replaced, on RFC 3339 shapes, local times and junk")
    func timestamps() {
        var generator = Generator(state: 8)
        var texts = ["2024-01-15T10:20:30.123456Z", "2024-01-15T10:20:30+01:00", "2024-01-15t10:20:30z", "2024-01-15 10:20:30",
                     " 2024-01-15T10:20:30Z ", "\t2024-01-15T10:20:30Z", "2024-01-15T10:20:30Z\n", "\u{A0}2024-01-15T10:20:30Z",
                     "2024-01-15T10:20:30Z\u{3000}", "2024-01-15T10:20", "2024-01-15", "2024-01-15T10:20:30.", "2024-01-15T10:20:30,5",
                     "2024-01-15T10:20:30+0100", "2024-01-15T10:20:30+01", "2024-01-15T10:20:30-05:30", "2024-01-15T24:00:00",
                     "2024-01-15T23:59:60Z", "1763631000", " 1763631000 ", "1763631000.5", "1763631000123", "1.2.3", ".", "", " ",
                     "2022-07-18T09:34:15.775023242+00:00", "２０２４-01-15", "2024-01-15T10:20:30Zé", "é2024-01-15T10:20:30Z",
                     "2026-03-29T02:30:00", "2026-10-25T02:30:00", "2011-12-30T12:00:00", "2011-12-29T23:59:59"]
        let digits = Array("0123456789")
        for _ in 0..<30_000 {
            let year = 1960 + generator.below(90), month = 1 + generator.below(12), day = 1 + generator.below(31)
            var text = String(format: "%04d-%02d-%02d", year, month, day)
            if generator.below(10) != 0 {
                text += generator.pick(["T", "t", " "])
                text += String(format: "%02d:%02d", generator.below(25), generator.below(61))
                if generator.below(5) != 0 { text += String(format: ":%02d", generator.below(62)) }
                if generator.below(2) == 0 {
                    text += generator.pick([".", ","])
                    for _ in 0..<generator.below(11) { text.append(generator.pick(digits)) }
                }
            }
            switch generator.below(6) {
            case 0: break
            case 1: text += generator.pick(["Z", "z"])
            case 2: text += generator.pick(["+", "-"]) + String(format: "%02d:%02d", generator.below(15), generator.pick([0, 30, 45, 59]))
            case 3: text += generator.pick(["+", "-"]) + String(format: "%02d%02d", generator.below(15), generator.pick([0, 30, 45]))
            case 4: text += generator.pick(["+", "-"]) + String(format: "%02d", generator.below(15))
            default: text += generator.pick(Self.pieces)
            }
            if generator.below(8) == 0 { text = generator.pick(Self.pieces) + text }
            if generator.below(8) == 0 { text += generator.pick(Self.pieces) }
            if generator.below(20) == 0 {
                var bytes = Array(text.utf8)
                bytes[generator.below(bytes.count)] = UInt8(generator.below(128))
                text = String(decoding: bytes, as: UTF8.self)
            }
            texts.append(text)
        }
        // Every hour around the DST changes of recent years, where the same-offset shortcut must not apply.
        for year in [1996, 2011, 2024, 2026] {
            for (month, day) in [(3, 24), (3, 31), (10, 24), (10, 31), (4, 1), (9, 30), (11, 3), (12, 29), (12, 30)] {
                for hour in 0..<72 {
                    for minute in [0, 30, 59] {
                        let date = Date(timeIntervalSince1970: TimeInterval(TimestampParser.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60))
                        var calendar = Calendar(identifier: .gregorian)
                        calendar.timeZone = TimeZone(identifier: "UTC")!
                        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
                        texts.append(String(format: "%04d-%02d-%02dT%02d:%02d:00", c.year!, c.month!, c.day!, c.hour!, c.minute!))
                    }
                }
            }
        }
        for name in Self.zones {
            let zone = TimeZone(identifier: name)!
            for text in texts {
                #expect(TimestampParser.milliseconds(from: text, timeZone: zone) == ReferenceTimestampParser.milliseconds(from: text, timeZone: zone),
                        "\(text.debugDescription) in \(name)")
            }
        }
    }
}

/// TimestampParser as it was before the byte-level trimming and the same-offset shortcut: the reference.
enum ReferenceTimestampParser {
    /// Milliseconds since the Unix epoch, or `nil` when the value is not a timestamp.
    static func milliseconds(from value: JSONValue, timeZone: TimeZone) -> Int64? {
        switch value {
        case .number(let number): return epochMilliseconds(number)
        case .string(let text): return milliseconds(from: text, timeZone: timeZone)
        default: return nil
        }
    }

    static func milliseconds(from text: String, timeZone: TimeZone) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, trimmed.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 }), let number = Double(trimmed) {
            return epochMilliseconds(number)
        }
        return iso8601(Array(trimmed.utf8), timeZone: timeZone)
    }

    /// Interprets an epoch number by magnitude: seconds up to 1e11 (year 5138), then ms, µs, ns.
    static func epochMilliseconds(_ number: Double) -> Int64? {
        guard number.isFinite, number > 0 else { return nil }
        switch number {
        case ..<1e11: return Int64((number * 1000).rounded())
        case ..<1e14: return Int64(number.rounded())
        case ..<1e17: return Int64((number / 1000).rounded())
        case ..<1e20: return Int64((number / 1_000_000).rounded())
        default: return nil
        }
    }

    private static func iso8601(_ b: [UInt8], timeZone: TimeZone) -> Int64? {
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var value = 0
            for k in i..<(i + count) {
                guard b[k] >= 48, b[k] <= 57 else { return nil }
                value = value * 10 + Int(b[k] - 48)
            }
            i += count
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fractionMs = 0.0
        if i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") {
            i += 1
            guard let h = digits(2), expect(58), let m = digits(2) else { return nil }
            hour = h; minute = m
            if expect(58) {
                guard let s = digits(2) else { return nil }
                second = s
                if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                    i += 1
                    var scale = 100.0
                    let start = i
                    while i < b.count, b[i] >= 48, b[i] <= 57 {
                        fractionMs += Double(b[i] - 48) * scale
                        scale /= 10
                        i += 1
                    }
                    if i == start { return nil }
                }
            }
        }
        guard hour < 24, minute < 60, second <= 60 else { return nil }
        var offsetSeconds: Int?
        if i < b.count {
            switch b[i] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                i += 1
                offsetSeconds = 0
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                _ = expect(58)
                let om = digits(2) ?? 0
                offsetSeconds = sign * (oh * 3600 + om * 60)
            default:
                return nil
            }
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let wallSeconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let utcSeconds: Int64
        if let offsetSeconds {
            utcSeconds = wallSeconds - Int64(offsetSeconds)
        } else {
            // Local wall time: try the offsets in force a day before and a day after. In the autumn overlap
            // both fit and the earlier instant wins; in the spring gap neither fits and the time before the
            // change is used (shifting it forward by the gap).
            func offset(_ seconds: Int64) -> Int64 {
                Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
            }
            let before = offset(wallSeconds - 86_400)
            let after = offset(wallSeconds + 86_400)
            let candidates = [wallSeconds - before, wallSeconds - after].filter { offset($0) == wallSeconds - $0 }
            utcSeconds = candidates.min() ?? wallSeconds - before
        }
        return utcSeconds * 1000 + Int64(fractionMs.rounded(.down))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
