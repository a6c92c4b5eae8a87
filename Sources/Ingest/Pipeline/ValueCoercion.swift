import Foundation

/// Reads a number out of what devices actually send: numbers, numbers as strings (`"012345678"`, `"12,5"`),
/// value-and-unit strings (`"30.11 °C"`, `"1.2kWh"`), booleans and state words (`ON`, `off`, `open`).
enum ValueCoercion {
    struct Coerced: Equatable {
        var value: Double
        /// A unit found in the text itself.
        var unit: String?
    }

    private static let onWords: Set<String> = ["on", "true", "open", "opened", "online", "yes", "active", "detected", "occupied", "1"]
    private static let offWords: Set<String> = ["off", "false", "closed", "close", "offline", "no", "inactive", "clear", "unoccupied", "0"]

    /// `nil` when the value cannot be a number for this metric.
    static func coerce(_ value: FieldValue, states: [String: Double], isState: Bool) -> Coerced? {
        switch value {
        case .number(let number):
            return number.isFinite ? Coerced(value: number) : nil
        case .bool(let flag):
            if let mapped = states[flag ? "true" : "false"] { return Coerced(value: mapped) }
            return Coerced(value: flag ? 1 : 0)
        case .string(let raw):
            let text = String(ByteText.trimmingWhitespacesAndNewlines(raw))
            if let mapped = states[text] ?? states.first(where: { $0.key.caseInsensitiveCompare(text) == .orderedSame })?.value {
                return Coerced(value: mapped)
            }
            if let number = parseNumber(text) { return Coerced(value: number) }
            if let number = timestampedValue(text) { return Coerced(value: number) }
            if let withUnit = splitValueAndUnit(text) { return withUnit }
            if isState || states.isEmpty {
                let word = text.lowercased()
                if onWords.contains(word) { return Coerced(value: 1) }
                if offWords.contains(word) { return Coerced(value: 0) }
            }
            return nil
        }
    }

    /// A plain decimal number, accepting a decimal comma and surrounding spaces; rejects NaN and infinities.
    static func parseNumber(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        var candidate = text
        // Byte checks, not `String.contains` (Foundation's substring search, for every string value).
        if candidate.utf8.contains(UInt8(ascii: ",")), !candidate.utf8.contains(UInt8(ascii: ".")) {
            candidate = candidate.replacingOccurrences(of: ",", with: ".")
        }
        guard candidate.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 || $0 == 43 || $0 == 101 || $0 == 69 }),
              let value = Double(candidate), value.isFinite else { return nil }
        return value
    }

    /// Linky standard-mode values stamped with their date: `"H240213064656 03112"` (season letter, then
    /// YYMMDDhhmmss, then the value) → 3112.
    static func timestampedValue(_ text: String) -> Double? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let stamp = parts.first, stamp.count == 13,
              let season = stamp.first, "EeHh".contains(season),
              stamp.utf8.dropFirst().allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return parseNumber(String(parts[1]))
    }

    /// `"30.11 °C"` → 30.11 °C. The unit part must be short and start with a non-digit.
    static func splitValueAndUnit(_ text: String) -> Coerced? {
        let scalars = Array(text.unicodeScalars)
        var end = 0
        while end < scalars.count, "+-0123456789.,eE".unicodeScalars.contains(scalars[end]) { end += 1 }
        // Do not eat an exponent marker that is really the start of the unit (e.g. "12e" is not a number).
        while end > 0, "eE".unicodeScalars.contains(scalars[end - 1]) { end -= 1 }
        guard end > 0, end < scalars.count else { return nil }
        var numberText = String(String.UnicodeScalarView(scalars[0..<end]))
        if numberText.contains(","), !numberText.contains(".") { numberText = numberText.replacingOccurrences(of: ",", with: ".") }
        let unit = String(String.UnicodeScalarView(scalars[end...])).trimmingCharacters(in: .whitespaces)
        guard let value = Double(numberText), value.isFinite, !unit.isEmpty, unit.count <= 12,
              let first = unit.unicodeScalars.first, !CharacterSet.decimalDigits.contains(first) else { return nil }
        return Coerced(value: value, unit: unit)
    }
}
