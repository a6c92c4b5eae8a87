/// Decodes one value per topic (format `value`): `maison/salon/temperature` ← `21.5`.
///
/// Options:
/// - `device`: a topic template (`{1}`) or a literal; default: the topic without its last level;
/// - `field`: a topic template (`{3}`, `{-1}`) or a literal; default: the topic's last level;
/// - `unit`: the unit of the value, when the payload does not say (`°C`).
///
/// The payload is a number (`21.5`, `-3.2e1`, a number observation), a JSON scalar (`"21.5"`, `true`), or any
/// other short text (`ON`, `21.5 °C`), kept as a string for the normaliser.
public struct PlainValueDecoder: PayloadDecoder {
    /// Longer payloads are not a single value; they are rejected before any text handling.
    public static let maximumLength = 256

    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let (device, field) = try Self.names(topic: topic, options: context.options)
        guard !payload.isEmpty else { throw DecodeError("empty payload (format value expects one value)") }
        guard payload.count <= Self.maximumLength else {
            throw DecodeError("payload is \(payload.count) bytes; a single value is at most \(Self.maximumLength)")
        }
        guard let text = PayloadText.trimmed(payload) else {
            throw DecodeError("payload is not valid UTF-8 text")
        }
        guard !text.isEmpty else { throw DecodeError("payload is only whitespace (format value expects one value)") }
        if text == "null" { return [] }  // A device saying "no value", not zero.
        guard let value = PayloadText.scalar(text) else {
            throw DecodeError("payload is a JSON object or array; format value takes one value per topic (use format json)")
        }
        let unit = context.options["unit"].flatMap { $0.isEmpty ? nil : $0 }
        return [DecodedMessage(deviceID: device, observations: [Observation(field: field, value: value, unit: unit)])]
    }

    /// The device id and field name for a topic, from the options or the topic's last level.
    static func names(topic: String, options: [String: String]) throws(DecodeError) -> (device: String, field: String) {
        let levels = TopicLevels.split(topic)
        let device: String
        if let option = options["device"], !option.isEmpty {
            device = try TopicTemplate(option: "device", text: option).resolve(topic: topic)
        } else {
            // `maison/salon/temperature` → `maison/salon`; a one-level topic names the device itself.
            let joined = levels.dropLast().joined(separator: "/")
            device = joined.isEmpty ? topic : joined
        }
        let field: String
        if let option = options["field"], !option.isEmpty {
            field = try TopicTemplate(option: "field", text: option).resolve(topic: topic)
        } else if levels.count > 1, let last = levels.last, !last.isEmpty {
            field = last
        } else {
            field = "value"
        }
        guard !device.isEmpty else { throw DecodeError("topic '\(topic)' gives an empty device id") }
        return (device, field)
    }
}
