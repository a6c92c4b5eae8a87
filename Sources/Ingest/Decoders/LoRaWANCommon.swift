import Foundation

/// Building blocks shared by the LoRaWAN network-server decoders (ChirpStack v3 and v4, The Things Stack,
/// ThingPark): root parsing, DevEUI normalisation, event classification and radio metadata.
enum LoRaWAN {
    /// What a network-server event means for the gateway.
    enum Event: Equatable {
        /// A data uplink: decoded readings and radio metadata.
        case uplink
        /// A device-status answer (link margin, battery level).
        case status
        /// A (re)join: the device is alive but sent no reading.
        case join
        /// Downlink acknowledgements, logs, locations, integration events: nothing to store.
        case ignored
    }

    /// Parses the payload and requires a JSON object, naming the format in every error.
    static func rootObject(_ payload: [UInt8], format: String, decoder: some PayloadDecoder,
                           skipping rule: JSONSkipRule? = nil) throws(DecodeError) -> JSONObject {
        let value: JSONValue
        do {
            value = try decoder.parseJSON(payload, skipping: rule)
        } catch {
            throw DecodeError("\(format) payload: \(error.reason)\(binaryHint(payload))")
        }
        guard case .object(let members) = value else {
            throw DecodeError("\(format) payload is \(describe(value)), expected a JSON object")
        }
        return members
    }

    /// A hint for payloads that are not text at all: network servers can publish binary protobuf
    /// (ChirpStack's `marshaler = "protobuf"`), which no JSON decoder can read.
    private static func binaryHint(_ payload: [UInt8]) -> String {
        let isBinary = payload.prefix(64).contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        return isBinary ? " (the payload looks binary: is the network server publishing protobuf instead of JSON?)" : ""
    }

    /// The DevEUI in lowercase hex from a payload field, or a rejection naming the field and what it held.
    /// `base64` accepts the protobuf-JSON encoding of the 8 bytes as well.
    static func eui(_ value: JSONValue, field: String, in message: String, base64: Bool = false) throws(DecodeError) -> String {
        guard let text = value.stringValue else {
            throw DecodeError("\(message): \(field) is \(describe(value)), expected a string of 16 hex digits")
        }
        if let eui = hexEUI(text) ?? (base64 ? base64EUI(text) : nil) { return eui }
        let expected = base64 ? "neither 16 hex digits nor the base64 of 8 bytes" : "not 16 hex digits"
        throw DecodeError("\(message): \(field) \"\(text)\" is \(expected)")
    }

    /// The DevEUI in lowercase when `text` is exactly 16 hexadecimal digits.
    static func hexEUI(_ text: String) -> String? {
        guard text.utf8.count == 16, text.utf8.allSatisfy(isHexDigit) else { return nil }
        return text.lowercased()
    }

    /// The DevEUI in lowercase hex when `text` is the base64 of 8 bytes (protobuf-JSON `bytes` fields).
    static func base64EUI(_ text: String) -> String? {
        guard let data = Data(base64Encoded: text), data.count == 8 else { return nil }
        return data.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...70).contains(byte) || (97...102).contains(byte)
    }

    /// A number, or a string holding one: ThingPark's 2018 format sends `"LrrRSSI": "-80.000000"`.
    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .number(let number)?: return number
        case .string(let text)?:
            guard let number = Double(ByteText.trimmingWhitespaces(text)), number.isFinite else { return nil }
            return number
        default: return nil
        }
    }

    /// The first of `candidates` that is a parseable timestamp, in milliseconds since the epoch.
    static func firstTime(_ candidates: [JSONValue?], timeZone: TimeZone) -> Int64? {
        for case let candidate? in candidates {
            if let time = TimestampParser.milliseconds(from: candidate, timeZone: timeZone) { return time }
        }
        return nil
    }

    /// "a string", "an array", … for error messages.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a JSON array"
        case .object: "a JSON object"
        }
    }

    /// The object's keys, sorted and shortened, for error messages about messages of an unknown shape.
    static func keyList(_ members: JSONObject) -> String {
        let keys = members.keys.sorted()
        let shown = keys.prefix(12).joined(separator: ", ")
        return keys.count > 12 ? shown + ", …" : shown
    }

    /// Flattens a network server's decoded payload. `nil` and JSON `null` mean "no codec configured" and give
    /// no observations; anything but an object is a codec bug worth rejecting.
    static func decodedObservations(_ value: JSONValue?, name: String, format: String, timeZone: TimeZone) throws(DecodeError) -> [Observation] {
        switch value {
        case nil, .null?:
            return []
        case .object(let members)?:
            return JSONFlattener(timeZone: timeZone).observations(from: .object(members))
        case let other?:
            throw DecodeError("\(format) uplink: \(name) is \(describe(other)), expected a JSON object")
        }
    }
}

// MARK: - ChirpStack events

extension LoRaWAN {
    /// Event names as the last topic level of ChirpStack's default templates: v3 and v4 `…/event/{up,status,…}`,
    /// and LoRa App Server v2 (still found in v3 installations that kept their old templates)
    /// `…/{rx,status,join,ack,error}`.
    private static let chirpStackTopicEvents: [String: Event] = [
        "up": .uplink, "rx": .uplink,
        "status": .status,
        "join": .join,
        "ack": .ignored, "txack": .ignored, "log": .ignored, "error": .ignored,
        "location": .ignored, "integration": .ignored,
    ]

    /// The event type of a ChirpStack message: from the topic's last level when it names an event, otherwise
    /// (custom topic templates) from the payload's shape.
    static func chirpStackEvent(topic: String, root: JSONObject, format: String) throws(DecodeError) -> Event {
        let last = String(ByteText.lastComponent(topic, separator: UInt8(ascii: "/")))
        if let event = chirpStackTopicEvents[last] { return event }
        let has = { (key: String) in root[key] != nil }
        // Checked in this order because shapes overlap: integration events carry `object`, v3 txack carries `fCnt`.
        if has("integrationName") || (has("level") && has("code")) || (has("type") && has("error")) { return .ignored }
        if has("acknowledged") || has("downlinkId") || has("queueItemId") || has("gatewayID") || has("gatewayId") { return .ignored }
        if has("object") || has("objectJSON") || has("data") || has("fPort") { return .uplink }
        if has("margin") || has("batteryLevel") || has("batteryLevelUnavailable") || has("externalPowerSource") || has("battery") {
            return .status
        }
        if has("location") { return .ignored }
        if has("devAddr") { return .join }
        throw DecodeError("\(format) message on topic '\(topic)': cannot tell the event type from the topic or the payload (keys: \(keyList(root)))")
    }

    /// Why a ChirpStack message has no device: a gateway-bridge frame subscribed by mistake is the usual cause.
    static func missingDeviceHint(_ root: JSONObject) -> String {
        root["phyPayload"] != nil
            ? " (this looks like a gateway frame from gateway/…/event/up: subscribe to application/+/device/+/event/+ instead)"
            : ""
    }

    /// `status.margin` and `status.battery_level` of a ChirpStack status event. A device on external power, or
    /// one that cannot measure its battery, has no battery level.
    static func chirpStackStatusObservations(margin: Double?, batteryLevel: Double?, root: JSONObject) -> [Observation] {
        var observations: [Observation] = []
        if let margin { observations.append(Observation(field: "status.margin", value: .number(margin))) }
        let noBattery = root["externalPowerSource"]?.boolValue == true || root["batteryLevelUnavailable"]?.boolValue == true
        if !noBattery, let batteryLevel {
            observations.append(Observation(field: "status.battery_level", value: .number(batteryLevel)))
        }
        return observations
    }
}

/// A ChirpStack decoder, v3 or v4. Both classify and answer events alike and differ only in where they find the
/// device, the time, an uplink's readings and radio metadata, and a status event's values.
protocol ChirpStackDecoder: PayloadDecoder {
    /// The format's name in error messages.
    static var format: String { get }
    /// The device's DevEUI in lowercase hex; `event` names the event in errors.
    func devEUI(_ root: JSONObject, event: String) throws(DecodeError) -> String
    /// When the event happened, in milliseconds since the epoch, if it says.
    func time(_ root: JSONObject, _ context: DecodingContext) -> Int64?
    /// An uplink's decoded readings (none without a codec).
    func readings(_ root: JSONObject, _ context: DecodingContext) throws(DecodeError) -> [Observation]
    /// How an uplink was received.
    func radio(_ root: JSONObject) -> RadioMetadata
    /// A status event's link margin and battery level.
    func statusObservations(_ root: JSONObject) -> [Observation]
    /// Members of the events that none of the above reads (parsed as `null`).
    static var unreadMembers: JSONSkipRule? { get }
}

extension ChirpStackDecoder {
    /// Decodes a ChirpStack event: an uplink gives its readings and radio metadata, a status event its values, a
    /// join the device online, any other event nothing.
    func chirpStackMessages(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let root = try LoRaWAN.rootObject(payload, format: Self.format, decoder: self, skipping: Self.unreadMembers)
        switch try LoRaWAN.chirpStackEvent(topic: topic, root: root, format: Self.format) {
        case .ignored:
            return []
        case .join:
            let device = try devEUI(root, event: "join event")
            return [DecodedMessage(deviceID: device, time: time(root, context), status: .online)]
        case .status:
            let device = try devEUI(root, event: "status event")
            return [DecodedMessage(deviceID: device, time: time(root, context), observations: statusObservations(root))]
        case .uplink:
            let device = try devEUI(root, event: "uplink")
            let readings = try readings(root, context)
            return [DecodedMessage(deviceID: device, time: time(root, context), observations: readings + radio(root).observations())]
        }
    }
}

// MARK: - Radio metadata

/// One gateway's reception of an uplink.
struct GatewayReception: Equatable {
    var rssi: Double
    var snr: Double?
}

/// What the network server says about how an uplink was received, as `radio.*` observations: a falling RSSI
/// or a rising spreading factor tells the commune's technician that a sensor's coverage is degrading before it
/// goes silent.
struct RadioMetadata: Equatable {
    var receptions: [GatewayReception] = []
    /// How many gateways heard the uplink, when the network server says (otherwise `receptions.count`).
    var gatewayCount: Int?
    var frameCounter: Double?
    var spreadingFactor: Double?

    /// The reception with the strongest signal: the gateway the device depends on.
    var best: GatewayReception? { receptions.max { $0.rssi < $1.rssi } }

    func observations() -> [Observation] {
        var observations: [Observation] = []
        if let best {
            observations.append(Observation(field: "radio.rssi", value: .number(best.rssi)))
            if let snr = best.snr { observations.append(Observation(field: "radio.snr", value: .number(snr))) }
        }
        if let frameCounter { observations.append(Observation(field: "radio.fcnt", value: .number(frameCounter))) }
        if let spreadingFactor { observations.append(Observation(field: "radio.sf", value: .number(spreadingFactor))) }
        if let gateways = gatewayCount ?? (receptions.isEmpty ? nil : receptions.count) {
            observations.append(Observation(field: "radio.gateways", value: .number(Double(gateways))))
        }
        return observations
    }
}
