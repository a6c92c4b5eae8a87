/// Decodes The Things Stack (v3, including The Things Network) MQTT messages, published on
/// `v3/{application_id}@{tenant_id}/devices/{device_id}/{up,join,down/…,service/data,location/solved}`.
///
/// - `up`: `uplink_message.decoded_payload` flattened into observations (or, when the payload formatter only
///   produced a normalized payload, `normalized_payload`), plus `radio.*` metadata. Simulated uplinks are
///   readings like any other.
/// - `join`: the device online, no observation.
/// - everything else (downlink events, service data, solved locations): ignored.
///
/// The device is `end_device_ids.dev_eui`, or `device_id` for devices registered without a DevEUI. The time is
/// `uplink_message.received_at`, falling back to the gateways' and the radio settings' times.
public struct ThingsStackV3Decoder: PayloadDecoder {
    static let format = "The Things Stack"

    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let root = try LoRaWAN.rootObject(payload, format: Self.format, decoder: self)
        let topicDevice = Self.topicDevice(topic)
        switch try event(topic: topic, root: root) {
        case .ignored, .status:
            return []
        case .join:
            let device = try deviceID(root, topicDevice: topicDevice, event: "join message")
            let time = LoRaWAN.firstTime([root["join_accept"]?["received_at"], root["received_at"]], timeZone: context.timeZone)
            return [DecodedMessage(deviceID: device, time: time, status: .online)]
        case .uplink:
            let device = try deviceID(root, topicDevice: topicDevice, event: "uplink")
            guard let uplink = root["uplink_message"]?.objectValue else {
                throw DecodeError("\(Self.format) uplink without an uplink_message object (keys: \(LoRaWAN.keyList(root)))")
            }
            let readings = try readings(uplink, context)
            return [DecodedMessage(deviceID: device, time: time(root, uplink, context), observations: readings + radio(uplink).observations())]
        }
    }

    /// The topic levels after `devices/{device_id}`, when the topic follows the standard layout.
    private static func topicParts(_ topic: String) -> (device: String, suffix: String)? {
        let levels = TopicLevels.split(topic)
        guard let index = levels.firstIndex(of: "devices"), index >= 1, index + 2 < levels.count else { return nil }
        return (levels[index + 1], levels[(index + 2)...].joined(separator: "/"))
    }

    private static func topicDevice(_ topic: String) -> String? {
        guard let device = topicParts(topic)?.device, !device.isEmpty, !containsWildcard(device) else { return nil }
        return device
    }

    /// Whether a topic level holds `+` or `#`: byte by byte when it is ASCII (where every matching rule agrees),
    /// otherwise with Foundation's substring search, as before.
    static func containsWildcard(_ level: String) -> Bool {
        if level.utf8.allSatisfy({ $0 < 0x80 }) {
            return level.utf8.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
        }
        return level.contains("+") || level.contains("#")
    }

    /// From the standard topic when there is one; messages forwarded under a custom topic are recognised by
    /// their single payload member (`uplink_message`, `join_accept`, `downlink_ack`, …).
    private func event(topic: String, root: JSONObject) throws(DecodeError) -> LoRaWAN.Event {
        if let suffix = Self.topicParts(topic)?.suffix {
            switch suffix {
            case "up": return .uplink
            case "join": return .join
            default:
                if suffix.hasPrefix("down/") || suffix.hasPrefix("service/") || suffix.hasPrefix("location/") {
                    return .ignored
                }
            }
        }
        if root["uplink_message"] != nil { return .uplink }
        if root["join_accept"] != nil { return .join }
        let ignoredMembers = ["downlink_ack", "downlink_nack", "downlink_sent", "downlink_failed", "downlink_queued",
                              "downlink_queue_invalidated", "location_solved", "service_data", "uplink_normalized"]
        if ignoredMembers.contains(where: { root[$0] != nil }) { return .ignored }
        throw DecodeError("\(Self.format) message on topic '\(topic)': cannot tell the message type from the topic or the payload (keys: \(LoRaWAN.keyList(root)))")
    }

    /// `dev_eui` when the device has one (always for OTAA), else the `device_id` the application chose.
    private func deviceID(_ root: JSONObject, topicDevice: String?, event: String) throws(DecodeError) -> String {
        let ids = root["end_device_ids"]
        if let value = ids?["dev_eui"] {
            return try LoRaWAN.eui(value, field: "end_device_ids.dev_eui", in: "\(Self.format) \(event)")
        }
        if let deviceID = ids?["device_id"]?.stringValue, !deviceID.isEmpty { return deviceID.lowercased() }
        // A bridge that re-publishes only part of the message may drop end_device_ids; the topic still names the device.
        if let topicDevice { return topicDevice.lowercased() }
        throw DecodeError("\(Self.format) \(event) without end_device_ids.dev_eui or end_device_ids.device_id")
    }

    private func time(_ root: JSONObject, _ uplink: JSONObject, _ context: DecodingContext) -> Int64? {
        let gatewayTimes = (uplink["rx_metadata"]?.arrayValue ?? []).map { $0["time"] }
        let candidates = [uplink["received_at"]] + gatewayTimes + [uplink["settings"]?["time"], root["received_at"]]
        return LoRaWAN.firstTime(candidates, timeZone: context.timeZone)
    }

    /// `decoded_payload` is the payload formatter's output. A formatter written for TTS's device repository
    /// may return only a `normalized_payload`: an array of measurements in TTS's schema (`air.temperature`),
    /// each with an optional `time`. One measurement gives its fields as they are; several time-stamped ones are
    /// a history; several without time (probes at different depths) keep their index so none is lost.
    private func readings(_ uplink: JSONObject, _ context: DecodingContext) throws(DecodeError) -> [Observation] {
        if let decoded = uplink["decoded_payload"], !decoded.isNull {
            return try LoRaWAN.decodedObservations(decoded, name: "decoded_payload", format: Self.format, timeZone: context.timeZone)
        }
        guard let normalized = uplink["normalized_payload"]?.arrayValue, let first = normalized.first else { return [] }
        let flattener = JSONFlattener(timeZone: context.timeZone, skippedKeys: ["time"])
        guard normalized.count == 1 else { return flattener.observations(from: .array(normalized)) }
        guard case .object = first else {
            throw DecodeError("\(Self.format) uplink: normalized_payload[0] is \(LoRaWAN.describe(first)), expected a JSON object")
        }
        let time = first["time"].flatMap { TimestampParser.milliseconds(from: $0, timeZone: context.timeZone) }
        return flattener.observations(from: first, time: time)
    }

    /// TTS omits zero values from its JSON: a gateway's SNR of 0, or a frame counter of 0 on a data uplink
    /// (recognisable by its `f_port`), is absent.
    private func radio(_ uplink: JSONObject) -> RadioMetadata {
        let metadata = uplink["rx_metadata"]?.arrayValue
        var radio = RadioMetadata()
        radio.receptions = (metadata ?? []).compactMap { entry in
            guard let rssi = LoRaWAN.number(entry["rssi"]) ?? LoRaWAN.number(entry["channel_rssi"]) else { return nil }
            return GatewayReception(rssi: rssi, snr: LoRaWAN.number(entry["snr"]) ?? 0)
        }
        radio.gatewayCount = metadata?.count
        radio.frameCounter = LoRaWAN.number(uplink["f_cnt"]) ?? (uplink["f_port"] != nil ? 0 : nil)
        radio.spreadingFactor = LoRaWAN.number(uplink["settings"]?.value(at: "data_rate.lora.spreading_factor"))
        return radio
    }
}
