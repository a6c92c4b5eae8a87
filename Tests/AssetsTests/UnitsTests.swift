import Testing
@testable import Assets

@Suite("Units")
struct UnitsTests {
    @Test("Device spellings resolve to their canonical unit", arguments: [
        ("kWh", "Wh"), ("KWH", "Wh"), ("Wh", "Wh"), ("m3", "L"), ("m³", "L"), ("L", "L"), ("°C", "°C"), ("degC", "°C"),
        ("%RH", "%RH"), ("ppm", "ppm"), ("lux", "lx"), ("mV", "V"), ("dBm", "dB"), ("kVA", "VA"), ("1", "1"), ("h", "s"),
    ])
    func canonicalUnits(symbol: String, canonical: String) {
        #expect(Units.canonicalUnit(for: symbol) == canonical)
    }

    @Test("Values convert to canonical units")
    func conversions() throws {
        let energy = try #require(Units.toCanonical(1.5, unit: "kWh"))
        #expect(energy.value == 1_500)
        #expect(energy.unit == "Wh")
        let volume = try #require(Units.toCanonical(2, unit: "m³"))
        #expect(volume.value == 2_000)
        let fahrenheit = try #require(Units.toCanonical(212, unit: "°F"))
        #expect(abs(fahrenheit.value - 100) < 1e-9)
        let battery = try #require(Units.toCanonical(3_045, unit: "mV"))
        #expect(abs(battery.value - 3.045) < 1e-9)
    }

    @Test("Unknown units have no definition")
    func unknownUnits() {
        #expect(Units.definition("kelvins") == nil)
        #expect(Units.toCanonical(1, unit: "furlong") == nil)
    }

    @Test("Every unit used by the bundled profiles is known")
    func bundledProfileUnits() throws {
        let devices = TestSupport.packageRoot().appendingPathComponent("devices").path
        let profiles = try ProfileLoader.load(directories: [devices])
        for profile in profiles.values {
            for metric in profile.metrics {
                #expect(Units.definition(metric.unit) != nil, "\(profile.id).\(metric.metric): \(metric.unit)")
            }
        }
    }
}
