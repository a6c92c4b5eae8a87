import Foundation

/// Turns a decoded JSON object into observations, one per leaf: nested keys are joined with dots
/// (`ENERGY.Total`, `aenergy.total`). Arrays of objects that carry their own time (`[{"time": …, "temp": …}]`)
/// become history samples: each element's fields get that element's time, and the path has no index.
/// Other arrays are indexed (`by_minute.0`). `null` leaves are skipped: a device saying "no value" is not zero.
public struct JSONFlattener: Sendable {
    /// Keys that hold a sample's measurement time inside history arrays.
    public static let timeKeys = ["time", "timestamp", "ts", "Time", "date", "datetime", "t"]

    public var timeZone: TimeZone
    /// Keys skipped at the top level (metadata a decoder has already consumed).
    public var skippedKeys: Set<String>

    public init(timeZone: TimeZone, skippedKeys: Set<String> = []) {
        self.timeZone = timeZone
        self.skippedKeys = skippedKeys
    }

    public func observations(from value: JSONValue, prefix: String = "", time: Int64? = nil) -> [Observation] {
        var result: [Observation] = []
        append(value, path: prefix, time: time, into: &result, depth: 0, topLevel: true)
        return result
    }

    private func append(_ value: JSONValue, path: String, time: Int64?, into result: inout [Observation], depth: Int, topLevel: Bool) {
        guard depth < 16 else { return }
        switch value {
        case .null:
            return
        case .number(let n):
            if !path.isEmpty { result.append(Observation(field: path, value: .number(n), time: time)) }
        case .string(let s):
            if !path.isEmpty { result.append(Observation(field: path, value: .string(s), time: time)) }
        case .bool(let b):
            if !path.isEmpty { result.append(Observation(field: path, value: .bool(b), time: time)) }
        case .object(let members):
            for (key, member) in members.sortedByKey() {
                if topLevel, skippedKeys.contains(key) { continue }
                append(member, path: path.isEmpty ? key : path + "." + key, time: time, into: &result, depth: depth + 1, topLevel: false)
            }
        case .array(let items):
            if let samples = historySamples(items) {
                for (sampleTime, members) in samples {
                    for (key, member) in members.sortedByKey() where !Self.timeKeys.contains(key) {
                        append(member, path: path.isEmpty ? key : path + "." + key, time: sampleTime, into: &result, depth: depth + 1, topLevel: false)
                    }
                }
            } else {
                for (index, item) in items.enumerated() {
                    append(item, path: path.isEmpty ? String(index) : path + "." + String(index), time: time, into: &result, depth: depth + 1, topLevel: false)
                }
            }
        }
    }

    /// The array's elements with their times, when every element is an object with a parseable time key.
    private func historySamples(_ items: [JSONValue]) -> [(Int64, JSONObject)]? {
        guard !items.isEmpty else { return nil }
        var samples: [(Int64, JSONObject)] = []
        for item in items {
            guard case .object(let members) = item,
                  let timeValue = Self.timeKeys.lazy.compactMap({ members[$0] }).first,
                  let time = TimestampParser.milliseconds(from: timeValue, timeZone: timeZone) else { return nil }
            samples.append((time, members))
        }
        return samples
    }
}
