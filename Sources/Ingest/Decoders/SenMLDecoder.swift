/// Decodes SenML packs in JSON (RFC 8428): an array of records whose base fields (`bn`, `bt`, `bu`, `bv`, `bs`,
/// `bver`) apply to the record that carries them and every later one, until replaced (§4.1, §4.6).
///
/// Device id: option `device` (a topic template such as `{1}`, or a literal) when set; else the base name
/// without its trailing `:` or `/` (`urn:dev:ow:10e2073a01080063:` → `urn:dev:ow:10e2073a01080063`); else the
/// topic. The field is the record's name `n`; a record without a name (a sensor that is its own base name) is
/// named after its unit (`%RH`, `lat`, `lon`), else `value`. Packs that mix base names give one message per
/// device, in order of first appearance.
public struct SenMLDecoder: PayloadDecoder {
    /// The highest `bver` understood: RFC 8428's.
    public static let supportedVersion = 10

    /// Resolved times below 2^28 seconds are relative to the current time (RFC 8428 §4.5.3).
    static let relativeTimeLimit = 268_435_456.0

    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        var fixedDevice: String?
        if let option = context.options["device"] {
            fixedDevice = try TopicTemplate(option: "device", text: option).resolve(topic: topic)
        }
        let json = try parseJSON(payload)
        guard case .array(let items) = json else {
            throw DecodeError("SenML payload must be a JSON array of records, got \(PayloadText.kind(of: json))")
        }
        var base = BaseFields()
        var grouped = OrderedGroups()
        for (index, item) in items.enumerated() {
            guard case .object(let record) = item else {
                throw DecodeError("SenML record \(index) is \(PayloadText.kind(of: item)), expected an object")
            }
            let fields = RecordFields(record, index: index)
            try fields.rejectMustUnderstand()
            try base.update(from: fields)
            let name = try fields.string("n") ?? ""
            guard !(base.name + name).isEmpty else {
                throw DecodeError("SenML record \(index) has no name (neither bn nor n)")
            }
            let unit = try fields.string("u") ?? base.unit
            let time = try base.resolvedTime(fields.number("t"), receivedAt: context.receivedAt)
            let device = fixedDevice ?? Self.device(baseName: base.name, topic: topic)
            let field = name.isEmpty ? (unit ?? "value") : name
            for observation in try Self.values(of: fields, base: base) {
                grouped.append(
                    Observation(field: observation.suffix.isEmpty ? field : field + observation.suffix,
                                value: observation.value, unit: unit, time: time),
                    to: device)
            }
        }
        return grouped.messages
    }

    /// The base name as a device id: without the separator that joins it to record names.
    static func device(baseName: String, topic: String) -> String {
        var device = baseName
        if device.hasSuffix(":") || device.hasSuffix("/") { device.removeLast() }
        return device.isEmpty ? topic : device
    }

    /// The record's values: `v` (plus `bv`), `vs`, `vb`, and the sum `s` (plus `bs`) as `{name}.sum`.
    /// `vd` (opaque binary data) is not a reading and is skipped; a record without any value (a base-only record)
    /// gives nothing.
    private static func values(of fields: RecordFields, base: BaseFields) throws(DecodeError) -> [(suffix: String, value: FieldValue)] {
        let valueKeys = ["v", "vs", "vb", "vd"].filter { fields.record[$0] != nil }
        guard valueKeys.count <= 1 else {
            throw DecodeError("SenML record \(fields.index) has more than one value (\(valueKeys.joined(separator: ", ")))")
        }
        var values: [(suffix: String, value: FieldValue)] = []
        if let v = try fields.number("v") {
            values.append(("", .number(base.value + v)))
        } else if let vs = try fields.string("vs") {
            values.append(("", .string(vs)))
        } else if let vb = try fields.bool("vb") {
            values.append(("", .bool(vb)))
        } else {
            _ = try fields.string("vd")
        }
        if let sum = try fields.number("s") {
            values.append((".sum", .number(base.sum + sum)))
        }
        return values
    }
}

/// The base fields in force while walking a pack.
private struct BaseFields {
    var name = ""
    var time: Double?
    var unit: String?
    var value = 0.0
    var sum = 0.0

    mutating func update(from fields: RecordFields) throws(DecodeError) {
        if let version = try fields.number("bver"), version > Double(SenMLDecoder.supportedVersion) {
            throw DecodeError("SenML record \(fields.index) has bver \(version.plainDescription) (only up to \(SenMLDecoder.supportedVersion) is supported)")
        }
        if let name = try fields.string("bn") { self.name = name }
        if let time = try fields.number("bt") { self.time = time }
        if let unit = try fields.string("bu") { self.unit = unit }
        if let value = try fields.number("bv") { self.value = value }
        if let sum = try fields.number("bs") { self.sum = sum }
    }

    /// Milliseconds since the epoch of `bt + t`; a small result is an offset from the receive time (`t: -5` is
    /// five seconds ago). `nil` when the pack gives no time at all.
    func resolvedTime(_ t: Double?, receivedAt: Int64) throws(DecodeError) -> Int64? {
        guard time != nil || t != nil else { return nil }
        let seconds = (time ?? 0) + (t ?? 0)
        let milliseconds = (seconds * 1000).rounded()
        // Beyond ±2^52 ms (±142,000 years) the conversion to Int64 could trap; no device means such a time.
        guard abs(milliseconds) < 4.5e15 else {
            throw DecodeError("SenML time \(seconds.plainDescription) is out of range")
        }
        guard seconds < SenMLDecoder.relativeTimeLimit else { return Int64(milliseconds) }
        let (relative, overflow) = receivedAt.addingReportingOverflow(Int64(milliseconds))
        guard !overflow else { throw DecodeError("SenML relative time \(seconds.plainDescription) is out of range") }
        return relative
    }
}

/// One record's members with typed, error-reporting accessors.
private struct RecordFields {
    let record: JSONObject
    let index: Int

    init(_ record: JSONObject, index: Int) {
        self.record = record
        self.index = index
    }

    /// Fields whose names end with `_` must be understood by the receiver or the pack rejected (RFC 8428 §4.4).
    func rejectMustUnderstand() throws(DecodeError) {
        if let key = record.keys.filter({ $0.hasSuffix("_") }).min() {
            throw DecodeError("SenML record \(index) has must-understand field '\(key)', which is not supported")
        }
    }

    func string(_ key: String) throws(DecodeError) -> String? {
        guard let value = record[key] else { return nil }
        guard case .string(let string) = value else { throw typeError(key, "a string", value) }
        return string
    }

    func number(_ key: String) throws(DecodeError) -> Double? {
        guard let value = record[key] else { return nil }
        guard case .number(let number) = value else { throw typeError(key, "a number", value) }
        return number
    }

    func bool(_ key: String) throws(DecodeError) -> Bool? {
        guard let value = record[key] else { return nil }
        guard case .bool(let bool) = value else { throw typeError(key, "a boolean", value) }
        return bool
    }

    private func typeError(_ key: String, _ expected: String, _ value: JSONValue) -> DecodeError {
        DecodeError("SenML record \(index): '\(key)' must be \(expected), got \(PayloadText.kind(of: value))")
    }
}

/// Observations grouped by device, devices in order of first appearance.
private struct OrderedGroups {
    private var order: [String] = []
    private var groups: [String: [Observation]] = [:]

    mutating func append(_ observation: Observation, to device: String) {
        if groups[device] == nil { order.append(device) }
        groups[device, default: []].append(observation)
    }

    var messages: [DecodedMessage] {
        order.map { DecodedMessage(deviceID: $0, observations: groups[$0] ?? []) }
    }
}

private extension Double {
    /// `5` rather than `5.0` in messages.
    var plainDescription: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
