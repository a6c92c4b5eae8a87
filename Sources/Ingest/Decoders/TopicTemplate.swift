import Foundation

/// Helpers shared by the decoders that read device ids and field names out of the MQTT topic, and by those
/// that take one plain-text value per topic.
enum TopicLevels {
    /// The topic's levels. Empty levels are kept so that indexes match what a user counts in `a//b`.
    static func split(_ topic: String) -> [String] {
        ByteText.components(topic, separator: UInt8(ascii: "/")).map(String.init)
    }
}

/// An option value that names something after topic levels: `{1}` is level 1 counted from 0, `{-1}` the last
/// level, `{-2}` the one before; text around placeholders is kept (`salle-{2}`); a value without placeholders
/// is a literal. Used by the `device` and `field` options of the `json`, `value` and `senml` formats.
struct TopicTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case literal(String)
        case level(Int)
    }

    /// The option's name, for error messages.
    let option: String
    /// The option's value as configured.
    let text: String
    let parts: [Part]

    /// Parses the template; a malformed placeholder (`{x}`, a `{` without `}`) is a configuration error that
    /// every message would hit, so it is reported with the option's name.
    init(option: String, text: String) throws(DecodeError) {
        self.option = option
        self.text = text
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[rest.startIndex..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "}") else {
                throw DecodeError("option \(option) '\(text)': '{' without a closing '}'")
            }
            let inside = rest[afterOpen..<close]
            // Four digits is far more levels than any topic has; the limit keeps Int parsing trivially safe.
            guard inside.count <= 5, let index = Int(inside) else {
                throw DecodeError("option \(option) '\(text)': '{\(inside)}' is not a topic level (use {0}, {1}, … or {-1} for the last level)")
            }
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
            parts.append(.level(index))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// The name for this topic; throws when a level is missing or the name comes out empty.
    func resolve(topic: String) throws(DecodeError) -> String {
        let levels = TopicLevels.split(topic)
        var result = ""
        for part in parts {
            switch part {
            case .literal(let text):
                result += text
            case .level(let index):
                let position = index >= 0 ? index : levels.count + index
                guard levels.indices.contains(position) else {
                    throw DecodeError("option \(option) '\(text)': topic '\(topic)' has \(levels.count) level(s), no level \(index)")
                }
                result += levels[position]
            }
        }
        guard !result.isEmpty else {
            throw DecodeError("option \(option) '\(text)' gives an empty name for topic '\(topic)'")
        }
        return result
    }
}

/// Plain-text payloads (`21.5`, `ON`, `true`, `Online`) and small JSON descriptions for error messages.
enum PayloadText {
    /// The payload as UTF-8 text with surrounding whitespace removed, or `nil` when it is not valid UTF-8.
    static func trimmed(_ payload: [UInt8]) -> String? {
        guard let text = String(validating: payload, as: UTF8.self) else { return nil }
        return String(ByteText.trimmingWhitespacesAndNewlines(text))
    }

    /// Whether the payload is empty or whitespace only: how a retained message is cleared.
    static func isBlank(_ payload: [UInt8]) -> Bool {
        payload.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// A plain value as a field value: a JSON scalar keeps its type (`21.5`, `true`, `"21.5"` → a string), a
    /// number in plain notation (`+21.5`, `.5`, `012`) is a number, anything else stays text for the normaliser.
    /// `nil` for JSON `null`, objects and arrays.
    static func scalar(_ text: String) -> FieldValue? {
        if let number = number(text) { return .number(number) }
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return nil
        default: break
        }
        if text.hasPrefix("\""), let parsed = try? JSONParser.parse(text), case .string(let string) = parsed {
            return .string(string)
        }
        if text.hasPrefix("{") || text.hasPrefix("[") { return nil }
        return .string(text)
    }

    /// A decimal number written `[+-]digits[.digits][e[+-]digits]` (no `nan`, `inf` or hex, which `Double`
    /// would otherwise accept), or `nil`.
    static func number(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        var i = 0
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        while i < bytes.count, isDigit(bytes[i]) { i += 1; digits += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.count, isDigit(bytes[i]) { i += 1; digits += 1 }
        }
        guard digits > 0 else { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let start = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            guard i > start else { return nil }
        }
        guard i == bytes.count, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// `"online"`/`"offline"`-style availability words, case-insensitive.
    static func status(_ text: String, online: String, offline: String) -> DeviceStatus? {
        switch text.lowercased() {
        case online: .online
        case offline: .offline
        default: nil
        }
    }

    /// What kind of JSON value this is, for "expected an object, got …" messages.
    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The start of a payload quoted in an error message: enough to recognise it, never a whole blob.
    static func excerpt(_ text: String, limit: Int = 40) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}
