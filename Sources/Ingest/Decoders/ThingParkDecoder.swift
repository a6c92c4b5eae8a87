/// Decodes ThingPark (Actility) application-server messages: a JSON object whose single member names the
/// message kind (`DevEUI_uplink`, `DevEUI_notification`, `DevEUI_location`, `DevEUI_downlink_Sent`, …).
///
/// Only `DevEUI_uplink` carries readings: the driver's decoded `payload` (2024 format) flattened into
/// observations, plus `radio.*` metadata. The 2018 format has no decoded payload and sends every value as a
/// string (`"LrrRSSI": "-80.000000"`), so its uplinks give radio metadata only. Other kinds are ignored.
///
/// The device is `DevEUI`, the time is `Time`.
public struct ThingParkDecoder: PayloadDecoder {
    static let format = "ThingPark"

    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let root = try LoRaWAN.rootObject(payload, format: Self.format, decoder: self)
        guard let wrapped = root["DevEUI_uplink"] else {
            if root.keys.contains(where: { $0.hasPrefix("DevEUI_") }) { return [] }
            throw DecodeError("\(Self.format) message without a DevEUI_uplink (or other DevEUI_…) member (keys: \(LoRaWAN.keyList(root)))")
        }
        guard case .object(let uplink) = wrapped else {
            throw DecodeError("\(Self.format) DevEUI_uplink is \(LoRaWAN.describe(wrapped)), expected a JSON object")
        }
        let device = try devEUI(uplink)
        let time = uplink["Time"].flatMap { TimestampParser.milliseconds(from: $0, timeZone: context.timeZone) }
        let readings = readings(uplink, context)
        return [DecodedMessage(deviceID: device, time: time, observations: readings + radio(uplink).observations())]
    }

    private func devEUI(_ uplink: JSONObject) throws(DecodeError) -> String {
        guard let value = uplink["DevEUI"] else { throw DecodeError("\(Self.format) DevEUI_uplink without DevEUI") }
        return try LoRaWAN.eui(value, field: "DevEUI", in: "\(Self.format) DevEUI_uplink")
    }

    /// The driver's output: only an object is decoded readings; an uplink without a driver has none.
    private func readings(_ uplink: JSONObject, _ context: DecodingContext) -> [Observation] {
        guard case .object(let members)? = uplink["payload"] else { return [] }
        return JSONFlattener(timeZone: context.timeZone).observations(from: .object(members))
    }

    /// Every LRR (gateway) that heard the frame is in `Lrrs.Lrr`; the top-level `LrrRSSI`/`LrrSNR` describe the
    /// one ThingPark chose and stand in when the list is missing.
    private func radio(_ uplink: JSONObject) -> RadioMetadata {
        var radio = RadioMetadata()
        let lrrs: [JSONValue]
        switch uplink["Lrrs"]?["Lrr"] {
        case .array(let items)?: lrrs = items
        // Formats converted from ThingPark's XML turn a one-element list into the element itself.
        case .object(let item)?: lrrs = [.object(item)]
        default: lrrs = [.object(uplink)]
        }
        radio.receptions = lrrs.compactMap { lrr in
            guard let rssi = LoRaWAN.number(lrr["LrrRSSI"]) else { return nil }
            return GatewayReception(rssi: rssi, snr: LoRaWAN.number(lrr["LrrSNR"]))
        }
        radio.gatewayCount = LoRaWAN.number(uplink["DevLrrCnt"]).flatMap { Int(exactly: $0.rounded()) }
        radio.frameCounter = LoRaWAN.number(uplink["FCntUp"])
        radio.spreadingFactor = LoRaWAN.number(uplink["SpFact"])
        return radio
    }
}
