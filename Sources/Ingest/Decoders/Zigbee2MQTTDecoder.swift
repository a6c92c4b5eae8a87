/// Decodes Zigbee2MQTT: `{base}/{friendly_name}` carries a device's whole state as one JSON object,
/// `{base}/{friendly_name}/availability` whether it is reachable (`{"state":"online"}`, or plain `online` before
/// Zigbee2MQTT 2.0), and `{base}/bridge/…` the bridge's own state, logs and events, which are not readings.
///
/// Option `base_topic` (default `zigbee2mqtt`) may span several levels (`maison/z2m`). Friendly names may
/// contain `/` (`ecole/classe1/capteur`): the device id is everything between the base topic and a known suffix.
public struct Zigbee2MQTTDecoder: PayloadDecoder {
    public static let defaultBaseTopic = "zigbee2mqtt"

    /// Top-level payload keys that are not readings: `last_seen` becomes the message time, `update` and
    /// `update_available` describe firmware updates, `device` is the device description that
    /// `include_device_information` adds.
    static let metadataKeys: Set<String> = ["last_seen", "update", "update_available", "device"]

    /// Last levels that make a topic a command to the device (`{name}/set`, `{name}/get`).
    static let commandLevels: Set<String> = ["set", "get"]

    /// Last levels of the legacy action topics (`{name}/action` with a plain `single`): the same event is in
    /// the state message's `action` field, so these carry nothing new.
    static let legacyEventLevels: Set<String> = ["action", "click"]

    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let base = Self.baseTopic(context.options["base_topic"])
        guard topic.hasPrefix(base + "/") else {
            throw DecodeError("topic '\(topic)' is not under the base topic '\(base)' (option base_topic)")
        }
        let levels = TopicLevels.split(String(topic.dropFirst(base.count + 1)))
        guard let last = levels.last, !levels.contains(where: \.isEmpty) else {
            throw DecodeError("topic '\(topic)' has an empty level where a friendly name was expected")
        }
        if levels[0] == "bridge" { return [] }
        if levels.count >= 2 {
            if Self.commandLevels.contains(last) || Self.commandLevels.contains(levels[levels.count - 2]) { return [] }
            if Self.legacyEventLevels.contains(last) { return [] }
            if last == "availability" {
                return try availability(device: levels.dropLast().joined(separator: "/"), payload: payload)
            }
        }
        return try state(device: levels.joined(separator: "/"), payload: payload, context: context)
    }

    /// The base topic without a trailing slash.
    static func baseTopic(_ option: String?) -> String {
        var base = option ?? defaultBaseTopic
        while base.hasSuffix("/") { base.removeLast() }
        return base.isEmpty ? defaultBaseTopic : base
    }

    private func availability(device: String, payload: [UInt8]) throws(DecodeError) -> [DecodedMessage] {
        // Zigbee2MQTT clears the retained availability message with an empty payload when a device is removed.
        if PayloadText.isBlank(payload) { return [] }
        guard let text = PayloadText.trimmed(payload) else {
            throw DecodeError("availability payload is not valid UTF-8")
        }
        let word: String
        if text.hasPrefix("{") {
            let json = try parseJSON(payload)
            guard let state = json["state"]?.stringValue else {
                throw DecodeError("availability payload has no string 'state' member: \(PayloadText.excerpt(text))")
            }
            word = state
        } else {
            word = text
        }
        guard let status = PayloadText.status(word, online: "online", offline: "offline") else {
            throw DecodeError("availability state '\(PayloadText.excerpt(word))' is neither online nor offline")
        }
        return [DecodedMessage(deviceID: device, status: status)]
    }

    private func state(device: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        // An empty payload clears a retained state message (device removed or renamed).
        if PayloadText.isBlank(payload) { return [] }
        let json = try parseJSON(payload)
        guard case .object(let members) = json else {
            throw DecodeError("state of '\(device)' must be a JSON object, got \(PayloadText.kind(of: json))")
        }
        // `last_seen` is an ISO time or epoch milliseconds depending on the bridge's `last_seen` setting; one that
        // does not parse is left out rather than losing the readings.
        let time = members["last_seen"].flatMap { TimestampParser.milliseconds(from: $0, timeZone: context.timeZone) }
        let flattener = JSONFlattener(timeZone: context.timeZone, skippedKeys: Self.metadataKeys)
        let observations = flattener.observations(from: json)
        guard !observations.isEmpty else { return [] }
        return [DecodedMessage(deviceID: device, time: time, observations: observations)]
    }
}
