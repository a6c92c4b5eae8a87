/// Decodes ChirpStack v4 MQTT integration events, published on
/// `application/{applicationId}/device/{devEui}/event/{up,status,join,ack,txack,log,location,integration}`.
///
/// - `up`: the device codec's `object` flattened into observations, plus `radio.*` metadata. An uplink
///   without `object` (no codec in the device profile) still proves the device alive and gives radio metadata.
/// - `status`: `status.margin` and `status.battery_level` from the device's answer to a DevStatusReq.
/// - `join`: the device online, no observation.
/// - everything else: ignored.
///
/// The device is `deviceInfo.devEui`, the time is `time`, falling back to the gateways' `gwTime` then the
/// network server's `nsTime`.
public struct ChirpStackV4Decoder: PayloadDecoder, ChirpStackDecoder {
    static let format = "ChirpStack v4"

    /// Identifiers, names, tags and base64 blobs: two thirds of an uplink's bytes, read by nothing below. Presence
    /// checks still see them (`data`, `devAddr` tell an uplink and a join apart on custom topics).
    static let unreadMembers: JSONSkipRule? = JSONSkipRule(
        skipping: ["deduplicationId", "data", "devAddr", "regionConfigId"],
        members: [
            "deviceInfo": JSONSkipRule(skipping: ["tenantId", "tenantName", "applicationId", "applicationName", "deviceProfileId",
                                                  "deviceProfileName", "deviceName", "deviceClassEnabled", "tags"]),
            "rxInfo": JSONSkipRule(elements: JSONSkipRule(skipping: ["gatewayId", "uplinkId", "context", "metadata", "location", "crcStatus"])),
        ])

    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        try chirpStackMessages(topic: topic, payload: payload, context: context)
    }

    func devEUI(_ root: JSONObject, event: String) throws(DecodeError) -> String {
        guard let value = root["deviceInfo"]?["devEui"] else {
            throw DecodeError("\(Self.format) \(event) without deviceInfo.devEui\(LoRaWAN.missingDeviceHint(root))")
        }
        return try LoRaWAN.eui(value, field: "deviceInfo.devEui", in: "\(Self.format) \(event)")
    }

    func time(_ root: JSONObject, _ context: DecodingContext) -> Int64? {
        let rxInfo = root["rxInfo"]?.arrayValue ?? []
        return LoRaWAN.firstTime([root["time"]] + rxInfo.map { $0["gwTime"] } + rxInfo.map { $0["nsTime"] }, timeZone: context.timeZone)
    }

    /// The codec's output, `object`.
    func readings(_ root: JSONObject, _ context: DecodingContext) throws(DecodeError) -> [Observation] {
        try LoRaWAN.decodedObservations(root["object"], name: "object", format: Self.format, timeZone: context.timeZone)
    }

    /// Early v4 releases serialised protobuf without default values, so a zero frame counter or SNR is absent
    /// rather than 0. `fPort` is always present on a data uplink, so it tells such a message from a hand-made
    /// one whose missing counter really is unknown.
    func radio(_ root: JSONObject) -> RadioMetadata {
        let rxInfo = root["rxInfo"]?.arrayValue
        var radio = RadioMetadata()
        radio.receptions = (rxInfo ?? []).compactMap { entry in
            guard let rssi = LoRaWAN.number(entry["rssi"]) else { return nil }
            return GatewayReception(rssi: rssi, snr: LoRaWAN.number(entry["snr"]) ?? 0)
        }
        radio.gatewayCount = rxInfo?.count
        radio.frameCounter = LoRaWAN.number(root["fCnt"]) ?? (root["fPort"] != nil ? 0 : nil)
        radio.spreadingFactor = LoRaWAN.number(root["txInfo"]?.value(at: "modulation.lora.spreadingFactor"))
        return radio
    }

    /// Omitted defaults again: an absent `margin` or `batteryLevel` is 0 unless a flag says there is none.
    func statusObservations(_ root: JSONObject) -> [Observation] {
        LoRaWAN.chirpStackStatusObservations(
            margin: LoRaWAN.number(root["margin"]) ?? 0,
            batteryLevel: LoRaWAN.number(root["batteryLevel"]) ?? 0,
            root: root)
    }
}
