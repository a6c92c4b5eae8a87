import Foundation
import Yams

/// Converts YAML nodes to typed values, logging a precise issue (file, line, what was expected) on failure.
struct YAMLReader {
    let file: String
    let log: IssueLog

    func issue(_ node: Node?, _ message: String) {
        log.add(file, line: node?.line, message)
    }

    /// The text of a single value (numbers and booleans as written), trimmed.
    func text(_ node: Node, _ name: String) -> String? {
        guard case .scalar(let scalar) = node else {
            issue(node, "'\(name)' must be a single value, not \(node.kindDescription)")
            return nil
        }
        return scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Non-empty text.
    func nonEmptyText(_ node: Node, _ name: String) -> String? {
        guard let value = text(node, name) else { return nil }
        guard !value.isEmpty else {
            issue(node, "'\(name)' is empty: give it a value or remove the line")
            return nil
        }
        return value
    }

    func number(_ node: Node, _ name: String, in range: ClosedRange<Double>? = nil) -> Double? {
        guard let value = text(node, name) else { return nil }
        guard let number = Double(value.replacingOccurrences(of: "_", with: "")), number.isFinite else {
            issue(node, "'\(name)' must be a number, got '\(value)'")
            return nil
        }
        if let range, !range.contains(number) {
            issue(node, "'\(name)' must be between \(format(range.lowerBound)) and \(format(range.upperBound)), got \(value)")
            return nil
        }
        return number
    }

    func integer(_ node: Node, _ name: String, in range: ClosedRange<Int>? = nil, unit: String = "") -> Int? {
        guard let value = text(node, name) else { return nil }
        guard let number = Int(value.replacingOccurrences(of: "_", with: "")) else {
            issue(node, "'\(name)' must be a whole number\(unit.isEmpty ? "" : " of \(unit)"), got '\(value)'")
            return nil
        }
        if let range, !range.contains(number) {
            issue(node, "'\(name)' must be between \(range.lowerBound) and \(range.upperBound)\(unit.isEmpty ? "" : " \(unit)"), got \(value)")
            return nil
        }
        return number
    }

    func boolean(_ node: Node, _ name: String) -> Bool? {
        guard let value = text(node, name) else { return nil }
        switch value.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            issue(node, "'\(name)' must be true or false, got '\(value)'")
            return nil
        }
    }

    /// One text value or a list of them (`inventory: a.yaml` or `inventory: [a.yaml, b.yaml]`).
    func textList(_ node: Node, _ name: String) -> [String]? {
        switch node {
        case .sequence(let sequence):
            var values: [String] = []
            for item in sequence {
                guard let value = item.isNull ? "" : text(item, name) else { continue }
                if value.isEmpty {
                    issue(item, "'\(name)' has an empty item: remove it")
                } else {
                    values.append(value)
                }
            }
            return values
        default:
            return nonEmptyText(node, name).map { [$0] }
        }
    }

    /// The items of a list.
    func list(_ node: Node, _ name: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            issue(node, "'\(name)' must be a list (lines starting with '- '), not \(node.kindDescription)")
            return nil
        }
        return Array(sequence)
    }

    /// The text under `key` in a mapping node, without reporting anything: names an entry in messages
    /// ("asset 'MAIRIE'") before the entry itself is read.
    static func peek(_ key: String, in node: Node) -> String? {
        guard case .mapping(let mapping) = node else { return nil }
        for (keyNode, value) in mapping where keyNode.scalar?.string == key {
            return value.scalar?.string
        }
        return nil
    }

    /// "asset 'MAIRIE'" when the entry has the naming key, "asset 3" otherwise.
    static func entryName(_ kind: String, key: String, in node: Node, index: Int) -> String {
        peek(key, in: node).map { "\(kind) '\($0)'" } ?? "\(kind) \(index + 1)"
    }

    /// A mapping read key by key; unknown keys are reported with a suggestion.
    func mapping(_ node: Node, _ context: String, keys: [String]) -> YAMLMapping? {
        YAMLMapping(node, context: context, allowedKeys: keys, reader: self)
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// A YAML mapping whose values are read by key, each conversion reporting its problem at the value's line.
struct YAMLMapping {
    let reader: YAMLReader
    /// Names the mapping in messages: "mqtt", "asset 'MAIRIE'", "metric 'temperature'".
    let context: String
    /// The line the mapping starts on.
    let line: Int?
    private let entries: [(key: String, keyNode: Node, value: Node)]

    init?(_ node: Node, context: String, allowedKeys: [String], reader: YAMLReader) {
        guard case .mapping(let mapping) = node else {
            reader.issue(node, "\(context) must be a mapping of 'key: value' lines, not \(node.kindDescription)")
            return nil
        }
        self.reader = reader
        self.context = context
        self.line = node.line
        var entries: [(String, Node, Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                reader.issue(keyNode, "keys in \(context) must be plain words, not \(keyNode.kindDescription)")
                continue
            }
            let key = scalar.string
            if !allowedKeys.contains(key) {
                reader.issue(keyNode, Suggestions.unknown("key", key, in: context, expected: allowedKeys))
            }
            entries.append((key, keyNode, value))
        }
        self.entries = entries
    }

    var keys: [String] { entries.map(\.key) }

    /// The value for `key`, `nil` when absent or null.
    func node(_ key: String) -> Node? {
        guard let value = entries.first(where: { $0.key == key })?.value, !value.isNull else { return nil }
        return value
    }

    /// The line of `key`, or of the mapping when the key is absent.
    func line(of key: String) -> Int? {
        entries.first(where: { $0.key == key })?.keyNode.line ?? line
    }

    /// The value for `key`, logging its absence.
    func required(_ key: String, hint: String = "") -> Node? {
        if let value = node(key) { return value }
        reader.log.add(reader.file, line: line(of: key), "missing '\(key)' in \(context)\(hint.isEmpty ? "" : ": \(hint)")")
        return nil
    }

    func text(_ key: String, required: Bool = false, hint: String = "") -> String? {
        guard let node = required ? self.required(key, hint: hint) : node(key) else { return nil }
        return reader.nonEmptyText(node, key)
    }

    func number(_ key: String, required: Bool = false, in range: ClosedRange<Double>? = nil) -> Double? {
        guard let node = required ? self.required(key) : node(key) else { return nil }
        return reader.number(node, key, in: range)
    }

    func integer(_ key: String, in range: ClosedRange<Int>? = nil, unit: String = "") -> Int? {
        node(key).flatMap { reader.integer($0, key, in: range, unit: unit) }
    }

    func boolean(_ key: String) -> Bool? {
        node(key).flatMap { reader.boolean($0, key) }
    }

    func textList(_ key: String) -> [String]? {
        node(key).flatMap { reader.textList($0, key) }
    }

    func list(_ key: String) -> [Node]? {
        node(key).flatMap { reader.list($0, key) }
    }

    func mapping(_ key: String, context: String? = nil, keys: [String]) -> YAMLMapping? {
        node(key).flatMap { reader.mapping($0, context ?? "'\(key)'", keys: keys) }
    }

    /// Latitude and longitude, both or neither, in range.
    func coordinates() -> Coordinates? {
        let latitude = number("latitude", in: -90...90)
        let longitude = number("longitude", in: -180...180)
        switch (node("latitude"), node("longitude")) {
        case (nil, nil):
            return nil
        case (.some, nil):
            reader.log.add(reader.file, line: line(of: "latitude"), "\(context) has a latitude but no longitude: give both or neither")
        case (nil, .some):
            reader.log.add(reader.file, line: line(of: "longitude"), "\(context) has a longitude but no latitude: give both or neither")
        case (.some, .some):
            if let latitude, let longitude { return Coordinates(latitude: latitude, longitude: longitude) }
        }
        return nil
    }
}
