import Foundation

/// Physical quantities the gateway stores, each in one canonical unit.
public enum Quantity: String, Sendable, CaseIterable {
    case energy, volume, power, apparentPower, reactivePower, temperature, relativeHumidity, concentration
    case illuminance, voltage, current, pressure, ratio, frequency, duration, count, signal, distance, mass, speed, flow

    /// The unit every value of this quantity is stored in. Energy in Wh and volume in litres keep meter
    /// indexes integral, so counters compare exactly.
    public var canonicalUnit: String {
        switch self {
        case .energy: "Wh"
        case .volume: "L"
        case .power: "W"
        case .apparentPower: "VA"
        case .reactivePower: "var"
        case .temperature: "°C"
        case .relativeHumidity: "%RH"
        case .concentration: "ppm"
        case .illuminance: "lx"
        case .voltage: "V"
        case .current: "A"
        case .pressure: "hPa"
        case .ratio: "%"
        case .frequency: "Hz"
        case .duration: "s"
        case .count: "1"
        case .signal: "dB"
        case .distance: "m"
        case .mass: "kg"
        case .speed: "m/s"
        case .flow: "L/h"
        }
    }
}

/// A unit the gateway understands, and how to convert it to its quantity's canonical unit:
/// `canonical = value * factor + offset`.
public struct UnitDefinition: Sendable, Equatable {
    public let symbol: String
    public let quantity: Quantity
    public let factor: Double
    public let offset: Double

    public func toCanonical(_ value: Double) -> Double { value * factor + offset }
}

/// The table of known units, with the spellings devices actually use (`kWh`, `KWH`, `m3`, `m³`, `°C`, `C`, `degC`).
public enum Units {
    private static let table: [String: UnitDefinition] = {
        var table: [String: UnitDefinition] = [:]
        func add(_ quantity: Quantity, _ factor: Double, _ offset: Double = 0, _ spellings: String...) {
            for spelling in spellings {
                table[spelling.lowercased()] = UnitDefinition(symbol: spellings[0], quantity: quantity, factor: factor, offset: offset)
            }
        }
        add(.energy, 1, 0, "Wh")
        add(.energy, 1000, 0, "kWh")
        add(.energy, 1_000_000, 0, "MWh")
        add(.energy, 0.001, 0, "mWh")
        add(.energy, 1.0 / 60.0, 0, "Wmin", "W·min", "W.min", "watt-minute", "watt-minutes")
        add(.energy, 1.0 / 3600.0, 0, "J", "Ws")
        add(.energy, 1000.0 / 3600.0, 0, "kJ")
        add(.volume, 1, 0, "L", "l", "litre", "litres", "liter", "liters", "dm3", "dm³")
        add(.volume, 1000, 0, "m3", "m³", "m^3")
        add(.volume, 0.001, 0, "mL", "ml")
        add(.volume, 0.01, 0, "cL")
        add(.volume, 10, 0, "daL")
        add(.volume, 100, 0, "hL")
        add(.power, 1, 0, "W")
        add(.power, 1000, 0, "kW")
        add(.power, 0.001, 0, "mW")
        add(.apparentPower, 1, 0, "VA")
        add(.apparentPower, 1000, 0, "kVA")
        add(.reactivePower, 1, 0, "var", "VAr")
        add(.temperature, 1, 0, "°C", "C", "degC", "Cel", "celsius")
        add(.temperature, 5.0 / 9.0, -32.0 * 5.0 / 9.0, "°F", "F", "degF")
        add(.temperature, 1, -273.15, "K")
        add(.relativeHumidity, 1, 0, "%RH", "%rh", "RH")
        add(.concentration, 1, 0, "ppm")
        add(.concentration, 0.001, 0, "ppb")
        add(.illuminance, 1, 0, "lx", "lux")
        add(.voltage, 1, 0, "V")
        add(.voltage, 0.001, 0, "mV")
        add(.current, 1, 0, "A")
        add(.current, 0.001, 0, "mA")
        add(.pressure, 1, 0, "hPa", "mbar")
        add(.pressure, 0.01, 0, "Pa")
        add(.pressure, 10, 0, "kPa")
        add(.pressure, 1000, 0, "bar")
        add(.ratio, 1, 0, "%", "/100")
        add(.ratio, 100, 0, "/")
        add(.frequency, 1, 0, "Hz")
        add(.duration, 1, 0, "s", "sec")
        add(.duration, 60, 0, "min")
        add(.duration, 3600, 0, "h")
        add(.duration, 0.001, 0, "ms")
        add(.count, 1, 0, "1", "count", "pulses", "pulse", "imp", "events", "count/min")
        add(.signal, 1, 0, "dB", "dBm")
        add(.distance, 1, 0, "m")
        add(.distance, 0.01, 0, "cm")
        add(.distance, 0.001, 0, "mm")
        add(.mass, 1, 0, "kg")
        add(.mass, 0.001, 0, "g")
        add(.speed, 1, 0, "m/s")
        add(.speed, 1.0 / 3.6, 0, "km/h")
        add(.flow, 1, 0, "L/h", "l/h")
        add(.flow, 1000, 0, "m3/h", "m³/h")
        add(.flow, 60, 0, "L/min", "l/min")
        return table
    }()

    /// The same table under the exact spellings, so that the common case skips trimming and lowercasing
    /// (this lookup runs for every stored reading).
    private static let exactTable: [String: UnitDefinition] = {
        var exact: [String: UnitDefinition] = [:]
        for (spelling, definition) in table {
            exact[spelling] = definition
            exact[definition.symbol] = definition
        }
        return exact
    }()

    /// The definition of a unit symbol, case-insensitively, or `nil` for an unknown unit.
    public static func definition(_ symbol: String) -> UnitDefinition? {
        if let definition = exactTable[symbol] { return definition }
        return table[symbol.trimmingCharacters(in: .whitespaces).lowercased()]
    }

    /// The canonical unit for a given unit symbol (`kWh` → `Wh`), or `nil` if unknown.
    public static func canonicalUnit(for symbol: String) -> String? {
        definition(symbol)?.quantity.canonicalUnit
    }

    /// Converts a value to its quantity's canonical unit; `nil` for an unknown unit.
    public static func toCanonical(_ value: Double, unit: String) -> (value: Double, unit: String)? {
        guard let definition = definition(unit) else { return nil }
        return (definition.toCanonical(value), definition.quantity.canonicalUnit)
    }
}
