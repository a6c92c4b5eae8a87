/// How a metric's values behave over time.
public enum MetricKind: String, Sendable, Codable, CaseIterable {
    /// A measurement at an instant (temperature, power, CO₂).
    case gauge
    /// A cumulative index that only grows, except at a reset or a meter replacement (energy, volume, pulses).
    case counter
    /// A discrete state encoded as a number (relay on = 1, off = 0; tariff period).
    case state
}

/// Maps one field a device sends to one metric the gateway stores.
public struct MetricMapping: Sendable, Equatable {
    /// Field paths to look for, in order; the first present wins (`["TIC.PAPP", "ENERGY.ApparentPower"]`).
    public var fields: [String]
    /// The stored metric name (`temperature`, `energy_import`, `co2`, `power`, `relay`, …).
    public var metric: String
    /// The unit the device sends when the payload does not say (`kWh`, `Wh`, `L`, `°C`, …).
    public var unit: String { didSet { unitDefinition = Units.definition(unit) } }
    /// `unit` looked up once (nil for a unit the table does not know): normalising runs for every reading.
    public private(set) var unitDefinition: UnitDefinition?
    public var kind: MetricKind
    /// Multiplier applied before unit conversion (e.g. 0.1 for a value sent in tenths, or litres per pulse).
    public var scale: Double
    /// Values for text states (`"ON": 1, "OFF": 0`); also used for booleans (`"true"`/`"false"`).
    public var states: [String: Double]

    public init(fields: [String], metric: String, unit: String, kind: MetricKind = .gauge, scale: Double = 1, states: [String: Double] = [:]) {
        self.fields = fields
        self.metric = metric
        self.unit = unit
        self.unitDefinition = Units.definition(unit)
        self.kind = kind
        self.scale = scale
        self.states = states
    }
}

/// A device model: which fields it sends, what they mean, and how often it reports.
public struct DeviceProfile: Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var manufacturer: String?
    /// What it is for: `street_light_controller`, `electricity_meter`, `water_meter`, `gas_meter`, `room_sensor`…
    public var category: String
    /// The formats it is normally received in (informational; any format works).
    public var formats: [String]
    /// Expected seconds between two reports; silence detection uses it.
    public var reportingInterval: Int
    public var metrics: [MetricMapping]

    public init(id: String, name: String, manufacturer: String? = nil, category: String, formats: [String] = [],
                reportingInterval: Int, metrics: [MetricMapping]) {
        self.id = id
        self.name = name
        self.manufacturer = manufacturer
        self.category = category
        self.formats = formats
        self.reportingInterval = reportingInterval
        self.metrics = metrics
    }
}
