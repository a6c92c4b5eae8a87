import Foundation
import Testing
@testable import Assets

@Suite("Device profile loader")
struct ProfileLoaderTests {
    /// Writes one profile file made of a common header and the given metrics.
    private func profileFolder(_ metrics: String, interval: String = "10m", extra: [String: String] = [:]) throws -> String {
        try TestSupport.folder(["p.yaml": """
            id: test-profile
            name: Test
            category: room_sensor
            reporting_interval: \(interval)
            metrics:
            \(metrics)
            """].merging(extra) { $1 })
    }

    @Test("Profile files load to exact values; other files in the folder are ignored")
    func loadsValidProfiles() throws {
        let profiles = try ProfileLoader.load(directories: [TestSupport.fixture("profiles")], formats: TestSupport.formats)
        #expect(profiles.keys.sorted() == ["dragino-lht65", "tasmota-pow", "zhaga-node"])
        #expect(profiles["dragino-lht65"] == DeviceProfile(
            id: "dragino-lht65", name: "Dragino LHT65 — température et humidité", manufacturer: "Dragino", category: "room_sensor",
            formats: ["chirpstack-v4", "chirpstack-v3", "tts-v3", "thingpark"], reportingInterval: 1_200,
            metrics: [
                MetricMapping(fields: ["TempC_SHT"], metric: "temperature", unit: "°C"),
                MetricMapping(fields: ["BatV", "battery_voltage"], metric: "battery_voltage", unit: "V"),
                MetricMapping(fields: ["radio.rssi"], metric: "rssi", unit: "dBm"),
            ]))
        #expect(profiles["tasmota-pow"] == DeviceProfile(
            id: "tasmota-pow", name: "Sonoff POW (Tasmota)", category: "smart_plug", formats: ["tasmota"], reportingInterval: 300,
            metrics: [
                MetricMapping(fields: ["ENERGY.Total"], metric: "energy_import", unit: "kWh", kind: .counter),
                MetricMapping(fields: ["POWER"], metric: "relay", unit: "1", kind: .state, states: ["ON": 1, "OFF": 0]),
                MetricMapping(fields: ["pulse"], metric: "water_volume", unit: "L", kind: .counter, scale: 10),
            ]))
        #expect(profiles["zhaga-node"]?.reportingInterval == 5_400)
        #expect(profiles["zhaga-node"]?.formats == [])
    }

    @Test("Unknown units, kinds and non-cumulative counters are reported at their lines")
    func unitsAndKinds() throws {
        let folder = try profileFolder("""
              - {field: a, metric: temperature, unit: degrees}
              - {field: b, metric: energy, unit: kWh, kind: countr}
              - {field: c, metric: heat, unit: "°C", kind: counter}
            """)
        let file = "\(folder)/p.yaml"
        let issues = TestSupport.issues { try ProfileLoader.load(directories: [folder]) }
        #expect(issues.map(\.line) == [6, 7, 8])
        #expect(issues.allSatisfy { $0.file == file })
        #expect(issues[0].message.hasPrefix("unknown unit 'degrees' (known units include Wh, kWh"))
        #expect(issues[1].message == "unknown kind 'countr' (did you mean 'counter'? expected one of: gauge, counter, state)")
        #expect(issues[2].message == "kind 'counter' needs a cumulative unit (energy, volume, count, duration or mass), not '°C' (temperature): use kind: gauge")
    }

    @Test("Duplicate metric names, non-numeric states and a zero scale are reported")
    func metricProblems() throws {
        let folder = try profileFolder("""
              - {field: t1, metric: temperature, unit: "°C"}
              - {field: t2, metric: temperature, unit: "°C"}
              - {field: POWER, metric: relay, unit: "1", kind: state, states: {"ON": on, "OFF": 0}}
              - {field: p, metric: volume, unit: L, kind: counter, scale: 0}
              - {field: [], metric: empty, unit: "1"}
            """)
        let issues = TestSupport.issues { try ProfileLoader.load(directories: [folder]) }
        #expect(issues.map(\.line) == [7, 8, 9, 10])
        #expect(issues[0].message == "metric 'temperature' is already mapped at line 6: list alternative fields in one 'field: [a, b]' instead")
        #expect(issues[1].message == "state 'ON' must map to a number (e.g. \"ON\": 1), got 'on'")
        #expect(issues[2].message.hasPrefix("'scale' cannot be 0"))
        #expect(issues[3].message == "'field' is an empty list: give at least one field path")
    }

    @Test("Reporting intervals must be durations", arguments: ["soon", "0", "-5", "1.5h"])
    func badInterval(interval: String) throws {
        let folder = try profileFolder("  - {field: t, metric: temperature, unit: \"°C\"}", interval: interval)
        let issues = TestSupport.issues { try ProfileLoader.load(directories: [folder]) }
        #expect(issues.count == 1)
        #expect(issues.first?.line == 4)
        #expect(issues.first?.message.hasPrefix("invalid reporting_interval '\(interval)'") == true)
    }

    @Test("A profile id declared twice is reported with both files")
    func duplicateProfileIDs() throws {
        let body = "id: same\nname: Same\ncategory: room_sensor\nreporting_interval: 1h\nmetrics:\n  - {field: t, metric: temperature, unit: \"°C\"}\n"
        let folder = try TestSupport.folder(["a/one.yaml": body, "b/two.yml": body])
        let issues = TestSupport.issues { try ProfileLoader.load(directories: ["\(folder)/a", "\(folder)/b"]) }
        #expect(issues == [ValidationIssue(file: "\(folder)/b/two.yml", line: 1,
                                           message: "duplicate profile id 'same': already declared at \(folder)/a/one.yaml:1; each profile needs its own id")])
    }

    @Test("Unknown formats are reported when the format list is given")
    func unknownFormats() throws {
        let folder = try TestSupport.folder(["p.yaml": """
            id: p
            name: P
            category: room_sensor
            formats: [chirpstack-v4, chirpstack4]
            reporting_interval: 1h
            metrics:
              - {field: t, metric: temperature, unit: "°C"}
            """])
        #expect(TestSupport.issues { try ProfileLoader.load(directories: [folder]) }.isEmpty)
        let issues = TestSupport.issues { try ProfileLoader.load(directories: [folder], formats: TestSupport.formats) }
        #expect(issues.count == 1)
        #expect(issues.first?.line == 4)
        #expect(issues.first?.message.hasPrefix("unknown format 'chirpstack4' (did you mean 'chirpstack-v4'?") == true)
    }

    @Test("Missing keys, bad identifiers and a missing folder are reported")
    func structuralProblems() throws {
        let folder = try TestSupport.folder(["p.yaml": """
            id: Bad Profile
            category: Room Sensor
            reporting_interval: 1h
            metrics:
              - {field: t, metric: Temperature, unit: "°C", colour: red}
            """])
        let issues = TestSupport.issues { try ProfileLoader.load(directories: [folder, "\(folder)/nowhere"]) }
        #expect(issues.map(\.line) == [1, 1, 2, 5, 5, nil])
        #expect(issues[0].message.hasPrefix("profile id 'Bad Profile' must use lowercase letters"))
        #expect(issues[1].message.hasPrefix("missing 'name' in the profile"))
        #expect(issues[2].message.hasPrefix("category 'Room Sensor' must be lowercase snake_case"))
        #expect(issues[3].message.hasPrefix("unknown key 'colour' in metric 'Temperature'"))
        #expect(issues[4].message.hasPrefix("metric name 'Temperature' must be lowercase snake_case"))
        #expect(issues[5] == ValidationIssue(file: "\(folder)/nowhere", line: nil,
                                             message: "profiles folder not found: set 'profiles' in the configuration to the folder of device profiles"))
    }
}

@Suite("Bundled device profiles")
struct BundledProfileTests {
    private let devices = TestSupport.packageRoot().appendingPathComponent("devices").path
    private let lorawanFormats: Set<String> = ["chirpstack-v4", "chirpstack-v3", "tts-v3", "thingpark"]

    @Test("Every profile in devices/ loads without issue")
    func allProfilesLoad() throws {
        let issues = TestSupport.issues { try ProfileLoader.load(directories: [devices], formats: TestSupport.formats) }
        #expect(issues == [])
        let profiles = try ProfileLoader.load(directories: [devices], formats: TestSupport.formats)
        #expect(profiles.count >= 14)
    }

    @Test("The bundled profiles cover the commune's device families")
    func coversCategories() throws {
        let profiles = try ProfileLoader.load(directories: [devices])
        let categories = Set(profiles.values.map(\.category))
        for category in ["street_light_controller", "electricity_meter", "water_meter", "gas_meter", "room_sensor",
                         "co2_sensor", "occupancy_sensor", "smart_plug", "temperature_probe"] {
            #expect(categories.contains(category), "no profile of category \(category)")
        }
    }

    @Test("Every LoRaWAN profile maps the radio RSSI and SNR")
    func lorawanRadioMetrics() throws {
        let profiles = try ProfileLoader.load(directories: [devices])
        for profile in profiles.values where !lorawanFormats.isDisjoint(with: profile.formats) {
            let fields = Set(profile.metrics.flatMap(\.fields))
            #expect(fields.contains("radio.rssi"), "\(profile.id) lacks radio.rssi")
            #expect(fields.contains("radio.snr"), "\(profile.id) lacks radio.snr")
        }
    }

    @Test("Profile files are named after their id")
    func fileNamesMatchIDs() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: devices).filter { $0.hasSuffix(".yaml") }
        let profiles = try ProfileLoader.load(directories: [devices])
        #expect(Set(names.map { String($0.dropLast(5)) }) == Set(profiles.keys))
    }
}
