/// Decodes ChirpStack v3 MQTT integration events, published on
/// `application/{applicationID}/device/{devEUI}/event/{up,status,join,ack,error,txack,location}` (or, with the
/// templates LoRa App Server v2 installations kept, `…/device/{devEUI}/{rx,status,join,ack,error}`).
///
/// ChirpStack v3 has two JSON marshalers, both accepted:
/// - `json` (protobuf-JSON, the default): EUIs are base64 (`"devEUI": "AgICAgICAgI="`) and the codec's output
///   is `objectJSON`, a *string* holding JSON (`""` when the device profile has no codec).
/// - `json_v3` (legacy, v2-compatible): EUIs are hex and the codec's output is the object `object`.
///
/// Uplinks give the codec's output flattened plus `radio.*` metadata (and only the latter without a codec);
/// status events give `status.margin` and `status.battery_level`; joins mark the device online; other events
/// are ignored. The time is the first gateway's `time`, else `publishedAt`.
public struct ChirpStackV3Decoder: PayloadDecoder, ChirpStackDecoder {
    static let format = "ChirpStack v3"
    static let unreadMembers: JSONSkipRule? = nil

    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        try chirpStackMessages(topic: topic, payload: payload, context: context)
    }

    /// Hex from the legacy marshaler, base64 from the protobuf-JSON one. The two cannot be confused: the
    /// base64 of 8 bytes is 12 characters ending in `=`.
    func devEUI(_ root: JSONObject, event: String) throws(DecodeError) -> String {
        guard let value = root["devEUI"] else {
            throw DecodeError("\(Self.format) \(event) without devEUI\(LoRaWAN.missingDeviceHint(root))")
        }
        return try LoRaWAN.eui(value, field: "devEUI", in: "\(Self.format) \(event)", base64: true)
    }

    func time(_ root: JSONObject, _ context: DecodingContext) -> Int64? {
        let rxInfo = root["rxInfo"]?.arrayValue ?? []
        return LoRaWAN.firstTime(rxInfo.map { $0["time"] } + [root["publishedAt"]], timeZone: context.timeZone)
    }

    /// The codec's output: `object` (legacy marshaler) or `objectJSON` (protobuf-JSON marshaler).
    func readings(_ root: JSONObject, _ context: DecodingContext) throws(DecodeError) -> [Observation] {
        if let object = root["object"], !object.isNull {
            return try LoRaWAN.decodedObservations(object, name: "object", format: Self.format, timeZone: context.timeZone)
        }
        guard case .string(let text)? = root["objectJSON"] else {
            // Absent, null, or already an object when a bridge re-serialised the event.
            return try LoRaWAN.decodedObservations(root["objectJSON"], name: "objectJSON", format: Self.format, timeZone: context.timeZone)
        }
        // No codec configured: ChirpStack sends an empty string.
        if ByteText.trimmingWhitespacesAndNewlines(text).isEmpty { return [] }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(text)
        } catch {
            throw DecodeError("\(Self.format) uplink: objectJSON is not valid JSON (\(error.description))")
        }
        return try LoRaWAN.decodedObservations(parsed, name: "objectJSON", format: Self.format, timeZone: context.timeZone)
    }

    /// v3's protobuf-JSON marshaler emits default values, so absent fields are unknown, not zero.
    func radio(_ root: JSONObject) -> RadioMetadata {
        let rxInfo = root["rxInfo"]?.arrayValue
        var radio = RadioMetadata()
        radio.receptions = (rxInfo ?? []).compactMap { entry in
            guard let rssi = LoRaWAN.number(entry["rssi"]) else { return nil }
            return GatewayReception(rssi: rssi, snr: LoRaWAN.number(entry["loRaSNR"]))
        }
        radio.gatewayCount = rxInfo?.count
        radio.frameCounter = LoRaWAN.number(root["fCnt"])
        radio.spreadingFactor = LoRaWAN.number(root["txInfo"]?.value(at: "loRaModulationInfo.spreadingFactor"))
        return radio
    }

    /// `batteryLevel` is a percentage. LoRa App Server v2 sent the raw DevStatusAns `battery` instead:
    /// 0 = external power, 255 = cannot measure, 1…254 = level, converted the way ChirpStack v3 does.
    func statusObservations(_ root: JSONObject) -> [Observation] {
        var batteryLevel = LoRaWAN.number(root["batteryLevel"])
        if batteryLevel == nil, let battery = LoRaWAN.number(root["battery"]), battery >= 1, battery <= 254 {
            batteryLevel = (battery / 254 * 10_000).rounded() / 100
        }
        return LoRaWAN.chirpStackStatusObservations(margin: LoRaWAN.number(root["margin"]), batteryLevel: batteryLevel, root: root)
    }
}
