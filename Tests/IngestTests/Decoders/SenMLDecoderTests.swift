import Foundation
import Testing
@testable import Ingest

@Suite("SenML decoder")
struct SenMLDecoderTests: FixtureDecoderTestSuite {
    static let decoder = SenMLDecoder()
    static let fixtureFolder = "senml"
    static let owDevice = "urn:dev:ow:10e2073a01080063"

    /// The reason a payload received on `senml/test` is rejected for, or `nil` when it is accepted.
    func rejection(_ payload: [UInt8], options: [String: String] = [:]) -> String? {
        rejection("senml/test", payload, options: options)
    }

    /// The reason the UTF-8 of `text` received on `senml/test` is rejected for, or `nil` when it is accepted.
    func rejection(_ text: String) -> String? { rejection(Array(text.utf8)) }

    // MARK: - RFC 8428 §5.1 examples

    @Test("§5.1.1 single data point without a base name: the topic is the device, the name the field")
    func singleDataPoint() throws {
        #expect(try decode("senml/salle1", Self.fixture("rfc8428_5.1.1_single_data_point.json"))
            == [DecodedMessage(deviceID: "senml/salle1", observations: [
                Observation(field: Self.owDevice, value: .number(23.1), unit: "Cel"),
            ])])
    }

    @Test("§5.1.2 base name: device without the trailing colon, names as fields, each record's own unit")
    func baseName() throws {
        #expect(try decode("senml/x", Self.fixture("rfc8428_5.1.2a_multiple_data_points_basename.json"))
            == [DecodedMessage(deviceID: Self.owDevice, observations: [
                Observation(field: "voltage", value: .number(120.1), unit: "V"),
                Observation(field: "current", value: .number(1.2), unit: "A"),
            ])])
    }

    @Test("§5.1.2 base time with relative offsets and the base unit, bver 5 accepted")
    func baseTimeRelative() throws {
        let bt: Int64 = 1_276_020_076_001
        #expect(try decode("senml/x", Self.fixture("rfc8428_5.1.2b_basetime_relative_times_bver5.json"))
            == [DecodedMessage(deviceID: "urn:dev:ow:10e2073a0108006", observations: [
                Observation(field: "voltage", value: .number(120.1), unit: "V", time: bt),
                Observation(field: "current", value: .number(1.2), unit: "A", time: bt - 5000),
                Observation(field: "current", value: .number(1.3), unit: "A", time: bt - 4000),
                Observation(field: "current", value: .number(1.4), unit: "A", time: bt - 3000),
                Observation(field: "current", value: .number(1.5), unit: "A", time: bt - 2000),
                Observation(field: "current", value: .number(1.6), unit: "A", time: bt - 1000),
                Observation(field: "current", value: .number(1.7), unit: "A", time: bt),
            ])])
    }

    @Test("§5.1.2 stream without names: the base name is the device, the unit names the field")
    func unnamedStream() throws {
        let offsets: [Int64] = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 91, 92]
        let values = [21.2, 21.3, 21.4, 21.4, 21.5, 21.5, 21.5, 21.6, 21.7, 21.5, 21.5, 21.5]
        let expected = zip(offsets, values).map { offset, value in
            Observation(field: "%RH", value: .number(value), unit: "%RH", time: 1_320_067_464_000 + offset * 1000)
        }
        #expect(try decode("senml/x", Self.fixture("rfc8428_5.1.2c_sensml_stream_full_from_ex4.json"))
            == [DecodedMessage(deviceID: Self.owDevice, observations: expected)])
    }

    @Test("§5.1.3 measurements told apart by unit (humidity, position, battery)")
    func multipleMeasurements() throws {
        let message = try #require(try decode("senml/x", Self.fixture("rfc8428_5.1.3_multiple_measurements_lat_lon_battery.json")).first)
        #expect(message.deviceID == Self.owDevice)
        #expect(message.observations.count == 13)
        #expect(message.observations[0] == Observation(field: "%RH", value: .number(20), unit: "%RH", time: 1_320_067_464_000))
        #expect(message.observations[1] == Observation(field: "lon", value: .number(24.30621), unit: "lon", time: 1_320_067_464_000))
        #expect(message.observations[9] == Observation(field: "%EL", value: .number(98), unit: "%EL", time: 1_320_067_614_000))
        #expect(message.observations[12] == Observation(field: "lat", value: .number(60.07967), unit: "lat", time: 1_320_067_644_000))
    }

    @Test("§5.1.4 resolved records with absolute times; the device option names the device from the topic")
    func resolvedRecords() throws {
        let messages = try decode("senml/cave-a/resolved", Self.fixture("rfc8428_5.1.4_resolved_of_5.1.3.json"), options: ["device": "{1}"])
        let message = try #require(messages.first)
        #expect(messages.count == 1)
        #expect(message.deviceID == "cave-a")
        #expect(message.observations.count == 13)
        #expect(message.observations[3] == Observation(field: Self.owDevice, value: .number(20.3), unit: "%RH", time: 1_320_067_524_000))
        // Same values and times as the unresolved pack of §5.1.3.
        let unresolved = try #require(try decode("senml/x", Self.fixture("rfc8428_5.1.3_multiple_measurements_lat_lon_battery.json")).first)
        #expect(message.observations.map(\.value) == unresolved.observations.map(\.value))
        #expect(message.observations.map(\.time) == unresolved.observations.map(\.time))
        #expect(message.observations.map(\.unit) == unresolved.observations.map(\.unit))
    }

    @Test("§5.1.5 string and boolean values keep their type; opaque data is skipped")
    func dataTypes() throws {
        #expect(try decode("senml/x", Self.fixture("rfc8428_5.1.5_multiple_data_types_vs_vb_vd.json"))
            == [DecodedMessage(deviceID: Self.owDevice, observations: [
                Observation(field: "temp", value: .number(23.1), unit: "Cel"),
                Observation(field: "label", value: .string("Machine Room")),
                Observation(field: "open", value: .bool(false)),
            ])])
    }

    @Test("§5.1.6 two base names give two devices; the base time carries over")
    func collection() throws {
        let time: Int64 = 1_320_078_429_000
        #expect(try decode("senml/x", Self.fixture("rfc8428_5.1.6_collection_two_basenames.json")) == [
            DecodedMessage(deviceID: "2001:db8::2", observations: [
                Observation(field: "temperature", value: .number(25.2), unit: "Cel", time: time),
                Observation(field: "humidity", value: .number(30), unit: "%RH", time: time),
            ]),
            DecodedMessage(deviceID: "2001:db8::1", observations: [
                Observation(field: "temperature", value: .number(12.3), unit: "Cel", time: time),
                Observation(field: "humidity", value: .number(67), unit: "%RH", time: time),
            ]),
        ])
    }

    @Test("§5.1.7 actuation: a base-only record gives nothing; ratios keep the unit /")
    func thermostat() throws {
        #expect(try decode("senml/x", Self.fixture("rfc8428_5.1.7a_actuator_thermostat.json"))
            == [DecodedMessage(deviceID: Self.owDevice, observations: [
                Observation(field: "temp", value: .number(23.1), unit: "Cel"),
                Observation(field: "heat", value: .number(1), unit: "/"),
                Observation(field: "fan", value: .number(0), unit: "/"),
            ])])
    }

    @Test("§5.1.7 lights: names without a base name, base unit and base time")
    func lights() throws {
        #expect(try decode("mairie/eclairage", Self.fixture("rfc8428_5.1.7b_actuator_lights_on.json"))
            == [DecodedMessage(deviceID: "mairie/eclairage", observations: [
                Observation(field: "2001:db8::3", value: .number(1), unit: "/", time: 1_320_078_429_000),
                Observation(field: "2001:db8::4", value: .number(1), unit: "/", time: 1_320_078_429_000),
            ])])
    }

    @Test("§5.1.7 dimming: a fractional relative time adds 100 ms")
    func fractionalTime() throws {
        let times = try #require(try decode("mairie/eclairage", Self.fixture("rfc8428_5.1.7c_actuator_lights_dim_then_off.json")).first)
            .observations.map(\.time)
        #expect(times == [1_320_078_429_000, 1_320_078_429_000, 1_320_078_429_100, 1_320_078_429_100])
    }

    @Test("a resolved record with an absolute time in seconds")
    func absoluteTime() throws {
        #expect(try decode("senml/x", Self.fixture("rfc8428_ex1_resolved_generated.json"))
            == [DecodedMessage(deviceID: "senml/x", observations: [
                Observation(field: Self.owDevice, value: .number(23.1), unit: "Cel", time: 1_498_780_179_000),
            ])])
    }

    // MARK: - Own packs

    @Test("times below 2^28 without a base time are relative to the receive time; no time at all is nil")
    func relativeToNow() throws {
        #expect(try decode("senml/x", Self.fixture("own_relative_times_without_base_time.json"))
            == [DecodedMessage(deviceID: "capteur-salle-3", observations: [
                Observation(field: "temperature", value: .number(20.5), unit: "Cel", time: Self.receivedAt - 60_000),
                Observation(field: "temperature", value: .number(20.6), time: Self.receivedAt - 30_000),
                Observation(field: "temperature", value: .number(20.7)),
            ])])
    }

    @Test("base value and base sum are added; a sum is the field name plus .sum")
    func baseValueAndSum() throws {
        #expect(try decode("senml/x", Self.fixture("own_water_meter_base_value_and_sum.json"))
            == [DecodedMessage(deviceID: "compteur-eau-mairie", observations: [
                Observation(field: "index", value: .number(1002.5), unit: "m3", time: 1_732_780_800_000),
                Observation(field: "index", value: .number(1002.75), unit: "m3", time: 1_732_781_700_000),
                Observation(field: "volume.sum", value: .number(512.25), unit: "m3", time: 1_732_781_700_000),
            ])])
    }

    @Test("a literal device option overrides the base name")
    func literalDevice() throws {
        let messages = try decode("senml/x", Self.fixture("rfc8428_5.1.2a_multiple_data_points_basename.json"), options: ["device": "compteur-1"])
        #expect(messages.map(\.deviceID) == ["compteur-1"])
        #expect(messages.first?.observations.map(\.field) == ["voltage", "current"])
    }

    @Test("an empty pack gives nothing")
    func emptyPack() throws {
        #expect(try decode("senml/x", "[]").isEmpty)
    }

    // MARK: - Rejections

    @Test("an unsupported version and an unknown must-understand field reject the pack")
    func versionAndMustUnderstand() throws {
        #expect(rejection(try Self.fixture("own_bver_11_unsupported.json")) == "SenML record 0 has bver 11 (only up to 10 is supported)")
        #expect(rejection(try Self.fixture("own_must_understand_field.json")) == "SenML record 0 has must-understand field 'ct_', which is not supported")
    }

    @Test("a value of the wrong type is rejected naming the record and field")
    func wrongTypes() throws {
        #expect(rejection(try Self.fixture("own_value_as_string.json")) == "SenML record 1: 'v' must be a number, got a string")
        #expect(rejection(#"[{"n":"a","vb":"true"}]"#) == "SenML record 0: 'vb' must be a boolean, got a string")
        #expect(rejection(#"[{"bn":5,"n":"a","v":1}]"#) == "SenML record 0: 'bn' must be a string, got a number")
        #expect(rejection(#"[{"n":"a","t":"2024-01-01","v":1}]"#) == "SenML record 0: 't' must be a number, got a string")
    }

    @Test("structural errors are rejected with the reason")
    func structure() {
        #expect(rejection(#"{"n":"a","v":1}"#) == "SenML payload must be a JSON array of records, got an object")
        #expect(rejection("[1]") == "SenML record 0 is a number, expected an object")
        #expect(rejection(#"[{"n":"a","v":1,"vs":"x"}]"#) == "SenML record 0 has more than one value (v, vs)")
        #expect(rejection(#"[{"v":1}]"#) == "SenML record 0 has no name (neither bn nor n)")
        #expect(rejection(#"[{"bt":1e300,"n":"a","v":1}]"#) == "SenML time 1e+300 is out of range")
        #expect(rejection("") == "invalid JSON at byte 0: empty payload")
    }

    @Test("a device option pointing past the topic is rejected")
    func deviceOptionOutOfRange() {
        #expect(rejection(Array("[]".utf8), options: ["device": "{4}"]) == "option device '{4}': topic 'senml/test' has 2 level(s), no level 4")
    }

    // MARK: - Robustness

    @Test("every prefix of every fixture and arbitrary bytes decode or throw, never crash")
    func neverCrashes() throws {
        var random = NoiseGenerator(seed: 17)
        try Self.forEachFixturePrefix { payload in _ = try? decode("a/b", payload) }
        for _ in 0..<500 {
            let bytes = random.nextBytes(countBelow: 40)
            _ = try? decode("a/b", bytes)
        }
        for time in ["-1e300", "1e18", "-268435455", "268435456", "9.3e15"] {
            _ = try? decode("a", "[{\"n\":\"a\",\"v\":1,\"bt\":\(time)}]")
        }
    }
}
