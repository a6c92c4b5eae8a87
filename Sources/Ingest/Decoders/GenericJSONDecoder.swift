import Foundation

/// Decodes JSON objects of any shape, told by options where things are (format `json`):
/// - `device`: a topic template (`{1}`, `{-2}`, `site-{1}`) or a literal device id;
/// - `device_path`: the dotted path of the device id inside the payload, used when present (over `device`);
/// - `time_path`: the dotted path of the measurement time (epoch s/ms/µs/ns or ISO 8601); absent → receive time;
/// - `prefix`: the dotted path of the subtree that holds the readings (`data`); field names are relative to it;
/// - `fields`: comma-separated dotted paths to keep (a path keeps its whole subtree); absent → every leaf.
///
/// A payload that is an array of such objects (a history upload) gives one message per element.
public struct GenericJSONDecoder: PayloadDecoder {
    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let options = try Options(context.options, topic: topic)
        let json = try parseJSON(payload)
        switch json {
        case .object:
            return try message(json, options: options, element: nil, context: context).map { [$0] } ?? []
        case .array(let items):
            var messages: [DecodedMessage] = []
            for (index, item) in items.enumerated() {
                guard case .object = item else {
                    throw DecodeError("element \(index) of the payload array is \(PayloadText.kind(of: item)), expected an object")
                }
                if let message = try message(item, options: options, element: index, context: context) {
                    messages.append(message)
                }
            }
            return messages
        default:
            throw DecodeError("payload must be a JSON object or an array of objects, got \(PayloadText.kind(of: json)) (format value takes single values)")
        }
    }

    /// One object's message, or `nil` when it holds no reading (every kept field absent or null).
    private func message(_ object: JSONValue, options: Options, element: Int?, context: DecodingContext) throws(DecodeError) -> DecodedMessage? {
        let place = element.map { " in element \($0)" } ?? ""
        let device = try device(object, options: options, place: place)
        var time: Int64?
        if let timePath = options.timePath, let value = object.value(at: timePath), !value.isNull {
            guard let parsed = TimestampParser.milliseconds(from: value, timeZone: context.timeZone) else {
                throw DecodeError("time_path '\(timePath)'\(place) is \(Self.describe(value)), not a timestamp")
            }
            time = parsed
        }
        var readings = object
        if let prefix = options.prefix {
            guard let subtree = object.value(at: prefix) else {
                throw DecodeError("prefix '\(prefix)' not found\(place)")
            }
            guard subtree.objectValue != nil || subtree.arrayValue != nil else {
                throw DecodeError("prefix '\(prefix)'\(place) is \(PayloadText.kind(of: subtree)), expected an object or an array")
            }
            readings = subtree
        }
        let observations = JSONFlattener(timeZone: context.timeZone)
            .observations(from: readings)
            .filter { options.keeps($0.field) }
        guard !observations.isEmpty else { return nil }
        return DecodedMessage(deviceID: device, time: time, observations: observations)
    }

    private func device(_ object: JSONValue, options: Options, place: String) throws(DecodeError) -> String {
        if let devicePath = options.devicePath, let value = object.value(at: devicePath), !value.isNull {
            switch value {
            case .string(let id) where !id.isEmpty: return id
            case .number(let number): return Self.integerText(number) ?? String(number)
            default:
                throw DecodeError("device_path '\(devicePath)'\(place) is \(Self.describe(value)), expected a non-empty string or a number")
            }
        }
        if let device = options.device { return device }
        if let devicePath = options.devicePath {
            throw DecodeError("device_path '\(devicePath)' not found\(place) and no option device to fall back on")
        }
        throw DecodeError("no device id: set option device (a topic level such as {1}, or a literal) or device_path")
    }

    /// `12345` rather than `12345.0` for integral numbers used as ids.
    private static func integerText(_ number: Double) -> String? {
        guard number == number.rounded(), abs(number) < 1e15 else { return nil }
        return String(Int64(number))
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "\"\(PayloadText.excerpt(text))\""
        case .number(let number): integerText(number) ?? String(number)
        default: PayloadText.kind(of: value)
        }
    }
}

/// The subscription's options, checked once per message.
private struct Options {
    var device: String?
    var devicePath: String?
    var timePath: String?
    var prefix: String?
    /// Paths relative to the readings subtree; empty keeps everything.
    var fields: [String] = []
    /// Full paths of the device and time inside the object, left out of the readings.
    var consumed: Set<String> = []

    init(_ options: [String: String], topic: String) throws(DecodeError) {
        func nonEmpty(_ key: String) -> String? {
            guard let value = options[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        if let device = nonEmpty("device") {
            self.device = try TopicTemplate(option: "device", text: device).resolve(topic: topic)
        }
        devicePath = nonEmpty("device_path")
        timePath = nonEmpty("time_path")
        prefix = nonEmpty("prefix")
        if let list = nonEmpty("fields") {
            fields = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        for path in [devicePath, timePath].compactMap({ $0 }) {
            if let prefix {
                // A device or time inside the readings subtree must not come out as a reading too.
                if path.hasPrefix(prefix + ".") { consumed.insert(String(path.dropFirst(prefix.count + 1))) }
            } else {
                consumed.insert(path)
            }
        }
    }

    /// Whether a flattened field (relative to the readings subtree) is kept.
    func keeps(_ field: String) -> Bool {
        if consumed.contains(field) { return false }
        guard !fields.isEmpty else { return true }
        return fields.contains { field == $0 || field.hasPrefix($0 + ".") }
    }
}
