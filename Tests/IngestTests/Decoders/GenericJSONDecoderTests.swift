import Foundation
import Testing
@testable import Ingest

@Suite("Generic JSON decoder")
struct GenericJSONDecoderTests: FixtureDecoderTestSuite {
    static let decoder = GenericJSONDecoder()
    static let fixtureFolder = "json"

    // MARK: - Shapes

    @Test("a history array gives one message per element, device from a topic level, time from time_path")
    func historyArray() throws {
        let messages = try decode("capteurs/salle-3/history", Self.fixture("history_array_epoch_seconds.json"),
                                  options: ["device": "{1}", "time_path": "ts"])
        #expect(messages == [
            DecodedMessage(deviceID: "salle-3", time: 1_732_780_800_000, observations: [
                Observation(field: "bat", value: .string("3.61")),
                Observation(field: "hum", value: .number(48)),
                Observation(field: "temp", value: .number(19.5)),
            ]),
            DecodedMessage(deviceID: "salle-3", time: 1_732_781_700_000, observations: [
                Observation(field: "bat", value: .string("3.61")),
                Observation(field: "hum", value: .number(47)),
                Observation(field: "temp", value: .number(19.7)),
            ]),
        ])
    }

    @Test("device_path, a local ISO time_path and a prefix subtree; nulls skipped, fields relative to the prefix")
    func nestedPaths() throws {
        let messages = try decode("cuves/stade", Self.fixture("nested_device_time_and_data.json"),
                                  options: ["device_path": "device.id", "time_path": "ts", "prefix": "data"])
        // 2024-11-28T09:00:00 in Paris (UTC+1)
        #expect(messages == [DecodedMessage(deviceID: "cuve-01", time: 1_732_780_800_000, observations: [
            Observation(field: "battery", value: .number(3.61)),
            Observation(field: "level.cm", value: .number(132.5)),
            Observation(field: "level.pct", value: .number(66)),
            Observation(field: "status", value: .string("ok")),
        ])])
    }

    @Test("fields keeps only the listed paths, a path keeping its whole subtree")
    func fieldSelection() throws {
        let options = ["device_path": "device.id", "prefix": "data", "fields": " battery , level "]
        let messages = try decode("cuves/stade", Self.fixture("nested_device_time_and_data.json"), options: options)
        #expect(messages == [DecodedMessage(deviceID: "cuve-01", time: nil, observations: [
            Observation(field: "battery", value: .number(3.61)),
            Observation(field: "level.cm", value: .number(132.5)),
            Observation(field: "level.pct", value: .number(66)),
        ])])
    }

    @Test("a numeric device id, a UTC time with milliseconds; device and time paths are not readings")
    func numericDeviceID() throws {
        let messages = try decode("air/mesures", Self.fixture("flat_numeric_device_id_iso_utc.json"),
                                  options: ["device_path": "sensor_id", "time_path": "time"])
        #expect(messages == [DecodedMessage(deviceID: "40021", time: 1_732_780_800_250, observations: [
            Observation(field: "meta.calibrated", value: .bool(true)),
            Observation(field: "meta.fw", value: .string("2.1.0")),
            Observation(field: "no2", value: .number(31)),
            Observation(field: "pm10", value: .number(20.1)),
            Observation(field: "pm25", value: .number(12.4)),
            Observation(field: "temperature", value: .string("4.5")),
        ])])
    }

    @Test("history samples inside the prefix subtree carry their own times")
    func historyInsidePrefix() throws {
        let messages = try decode("meteo", Self.fixture("data_with_history_samples.json"), options: ["device_path": "id", "prefix": "data"])
        #expect(messages == [DecodedMessage(deviceID: "station-meteo", time: nil, observations: [
            Observation(field: "temp", value: .number(4.1), time: 1_732_780_800_000),
            Observation(field: "wind", value: .number(12.5), time: 1_732_780_800_000),
            Observation(field: "temp", value: .number(4.3), time: 1_732_781_400_000),
            Observation(field: "wind", value: .number(14), time: 1_732_781_400_000),
        ])])
    }

    // MARK: - Device and time options

    @Test("device templates count from the end, keep literal text, or are a literal id")
    func deviceTemplates() throws {
        #expect(try decode("site/batiment-a/capteur/data", #"{"t":1}"#, options: ["device": "{-2}"]).map(\.deviceID) == ["capteur"])
        #expect(try decode("site/batiment-a/capteur/data", #"{"t":1}"#, options: ["device": "{1}-{2}"]).map(\.deviceID) == ["batiment-a-capteur"])
        #expect(try decode("site/batiment-a/capteur/data", #"{"t":1}"#, options: ["device": "compteur-general"]).map(\.deviceID) == ["compteur-general"])
    }

    @Test("device_path wins over device when present, and falls back to it when absent")
    func devicePathPrecedence() throws {
        let options = ["device": "{0}", "device_path": "id"]
        #expect(try decode("topic-device", #"{"id":"payload-device","x":1}"#, options: options).map(\.deviceID) == ["payload-device"])
        #expect(try decode("topic-device", #"{"x":1}"#, options: options).map(\.deviceID) == ["topic-device"])
    }

    @Test("a time_path absent from the payload means the receive time")
    func absentTime() throws {
        #expect(try decode("a/b", #"{"x":1}"#, options: ["device": "{1}", "time_path": "ts"]).first?.time == nil)
    }

    @Test("an object without any reading gives nothing")
    func noReadings() throws {
        #expect(try decode("a/b", #"{"ts":1732780800,"x":null}"#, options: ["device": "{1}", "time_path": "ts"]).isEmpty)
        #expect(try decode("a/b", "[]", options: ["device": "{1}"]).isEmpty)
    }

    // MARK: - Rejections

    @Test("no way to name the device is rejected with what to configure")
    func noDevice() {
        #expect(rejection("a/b", #"{"x":1}"#, options: [:]) == "no device id: set option device (a topic level such as {1}, or a literal) or device_path")
        #expect(rejection("a/b", #"{"x":1}"#, options: ["device_path": "device.id"]) == "device_path 'device.id' not found and no option device to fall back on")
        #expect(rejection("a/b", #"[{"x":1},{"device":{"id":true}}]"#, options: ["device_path": "device.id"])
            == "device_path 'device.id' not found in element 0 and no option device to fall back on")
        #expect(rejection("a/b", #"{"device":{"id":true}}"#, options: ["device_path": "device.id"])
            == "device_path 'device.id' is a boolean, expected a non-empty string or a number")
    }

    @Test("malformed or out-of-range device templates are rejected naming the option")
    func badTemplates() {
        #expect(rejection("a/b", #"{"x":1}"#, options: ["device": "{5}"]) == "option device '{5}': topic 'a/b' has 2 level(s), no level 5")
        #expect(rejection("a/b", #"{"x":1}"#, options: ["device": "{x}"])
            == "option device '{x}': '{x}' is not a topic level (use {0}, {1}, … or {-1} for the last level)")
        #expect(rejection("a/b", #"{"x":1}"#, options: ["device": "{1"]) == "option device '{1': '{' without a closing '}'")
        #expect(rejection("a//b", #"{"x":1}"#, options: ["device": "{1}"]) == "option device '{1}' gives an empty name for topic 'a//b'")
    }

    @Test("a time that is not a timestamp is rejected with the value")
    func badTime() {
        #expect(rejection("a/b", #"{"ts":"hier","x":1}"#, options: ["device": "{1}", "time_path": "ts"]) == #"time_path 'ts' is "hier", not a timestamp"#)
    }

    @Test("payloads that are not objects, arrays of objects, or lack the prefix are rejected")
    func badShapes() {
        let options = ["device": "{1}"]
        #expect(rejection("a/b", "21.5", options: options) == "payload must be a JSON object or an array of objects, got a number (format value takes single values)")
        #expect(rejection("a/b", #"[{"x":1},"y"]"#, options: options) == "element 1 of the payload array is a string, expected an object")
        #expect(rejection("a/b", #"{"x":1}"#, options: ["device": "{1}", "prefix": "data"]) == "prefix 'data' not found")
        #expect(rejection("a/b", #"{"data":5}"#, options: ["device": "{1}", "prefix": "data"]) == "prefix 'data' is a number, expected an object or an array")
        #expect(rejection("a/b", #"{"x":1,}"#, options: options) == "invalid JSON at byte 7: expected a quoted member name")
    }

    // MARK: - Robustness

    @Test("every prefix of every fixture and arbitrary bytes decode or throw, never crash")
    func neverCrashes() throws {
        var random = NoiseGenerator(seed: 19)
        let optionSets: [[String: String]] = [
            ["device": "{1}", "time_path": "ts"],
            ["device_path": "device.id", "time_path": "ts", "prefix": "data", "fields": "level,battery"],
            ["device": "{-9}"], [:],
        ]
        try Self.forEachFixturePrefix { payload in
            for options in optionSets { _ = try? decode("a/b/c", payload, options: options) }
        }
        for _ in 0..<500 {
            let bytes = random.nextBytes(countBelow: 40)
            let noise = String(decoding: bytes, as: UTF8.self)
            _ = try? decode("a/b", bytes, options: ["device": "{1}"])
            _ = try? decode("a/b", #"{"x":1}"#, options: ["device": noise, "time_path": noise, "prefix": noise, "fields": noise])
        }
    }
}
