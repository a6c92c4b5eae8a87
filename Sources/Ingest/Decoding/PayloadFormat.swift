/// Every payload format a subscription can name in the configuration.
public enum PayloadFormat: String, Sendable, CaseIterable, Codable {
    case chirpstackV4 = "chirpstack-v4"
    case chirpstackV3 = "chirpstack-v3"
    case thingsStackV3 = "tts-v3"
    case thingPark = "thingpark"
    case zigbee2mqtt = "zigbee2mqtt"
    case tasmota = "tasmota"
    case shelly = "shelly"
    case senml = "senml"
    case json = "json"
    case value = "value"

    /// The decoder for this format.
    public var decoder: any PayloadDecoder {
        switch self {
        case .chirpstackV4: ChirpStackV4Decoder()
        case .chirpstackV3: ChirpStackV3Decoder()
        case .thingsStackV3: ThingsStackV3Decoder()
        case .thingPark: ThingParkDecoder()
        case .zigbee2mqtt: Zigbee2MQTTDecoder()
        case .tasmota: TasmotaDecoder()
        case .shelly: ShellyDecoder()
        case .senml: SenMLDecoder()
        case .json: GenericJSONDecoder()
        case .value: PlainValueDecoder()
        }
    }

    /// The option keys this format understands (checked by `pmc-gateway check`).
    public var optionKeys: Set<String> {
        switch self {
        case .zigbee2mqtt: ["base_topic"]
        case .tasmota: ["full_topic"]
        case .shelly: ["device"]
        case .json: ["device", "device_path", "time_path", "fields", "prefix"]
        case .value: ["device", "field", "unit"]
        case .senml: ["device"]
        default: []
        }
    }
}
