import Foundation

/// Parses the timestamps real installations send: RFC 3339 with or without offset (a local time without an
/// offset is taken in the commune's time zone), nanosecond fractions (ChirpStack), `YYYY-MM-DD HH:MM:SS`,
/// and epoch numbers in seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude).
public enum TimestampParser {
    /// Milliseconds since the Unix epoch, or `nil` when the value is not a timestamp.
    public static func milliseconds(from value: JSONValue, timeZone: TimeZone) -> Int64? {
        switch value {
        case .number(let number): return epochMilliseconds(number)
        case .string(let text): return milliseconds(from: text, timeZone: timeZone)
        default: return nil
        }
    }

    public static func milliseconds(from text: String, timeZone: TimeZone) -> Int64? {
        let trimmed = ByteText.trimmingWhitespaces(text)
        if !trimmed.isEmpty, trimmed.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 }), let number = Double(trimmed) {
            return epochMilliseconds(number)
        }
        if let result = trimmed.utf8.withContiguousStorageIfAvailable({ iso8601($0, timeZone: timeZone) }) { return result }
        return Array(trimmed.utf8).withUnsafeBufferPointer { iso8601($0, timeZone: timeZone) }
    }

    /// Interprets an epoch number by magnitude: seconds up to 1e11 (year 5138), then ms, µs, ns.
    public static func epochMilliseconds(_ number: Double) -> Int64? {
        guard number.isFinite, number > 0 else { return nil }
        switch number {
        case ..<1e11: return Int64((number * 1000).rounded())
        case ..<1e14: return Int64(number.rounded())
        case ..<1e17: return Int64((number / 1000).rounded())
        case ..<1e20: return Int64((number / 1_000_000).rounded())
        default: return nil
        }
    }

    private static func iso8601(_ b: UnsafeBufferPointer<UInt8>, timeZone: TimeZone) -> Int64? {
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
            // The same offset on both sides (no change nearby): both candidates are `wallSeconds - before`, which
            // is also the fallback, so the checks below cannot change the answer.
            if before == after { return (wallSeconds - before) * 1000 + Int64(fractionMs.rounded(.down)) }
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
