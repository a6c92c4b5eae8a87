/// A value as a device reported it, before a profile gives it a metric and a unit.
public enum FieldValue: Sendable, Equatable, Hashable {
    case number(Double)
    case string(String)
    case bool(Bool)
}

/// One field of one sample: `temperature = 21.5`, `ENERGY.Total = 9098.245`, `TIC.PTEC = "HP.."`.
public struct Observation: Sendable, Equatable {
    /// The field's path as the payload names it, nested keys joined with dots.
    public var field: String
    public var value: FieldValue
    /// The unit when the payload states it (SenML `u`, `"30.11 °C"`); the profile's unit applies otherwise.
    public var unit: String?
    /// Measurement time in milliseconds since the Unix epoch, when the payload gives one per sample
    /// (history arrays, SenML records). Falls back to the message's time.
    public var time: Int64?

    public init(field: String, value: FieldValue, unit: String? = nil, time: Int64? = nil) {
        self.field = field
        self.value = value
        self.unit = unit
        self.time = time
    }
}

/// Whether a device said it is reachable (LWT, availability topics, `online` messages).
public enum DeviceStatus: String, Sendable, Equatable {
    case online
    case offline
}

/// What one MQTT message said about one device.
public struct DecodedMessage: Sendable, Equatable {
    /// The device's identity as the source names it: a DevEUI in lowercase hex for LoRaWAN, the friendly name
    /// for Zigbee2MQTT, the topic for Tasmota, the device id for Shelly, the base name for SenML.
    public var deviceID: String
    /// Measurement time of the message in milliseconds since the Unix epoch; `nil` means "use the receive time".
    public var time: Int64?
    public var observations: [Observation]
    /// Set when the message reports reachability rather than (or as well as) readings.
    public var status: DeviceStatus?

    public init(deviceID: String, time: Int64? = nil, observations: [Observation] = [], status: DeviceStatus? = nil) {
        self.deviceID = deviceID
        self.time = time
        self.observations = observations
        self.status = status
    }
}
