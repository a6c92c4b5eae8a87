import Foundation
import Testing
@testable import Ingest

@Suite("Zigbee2MQTT decoder")
struct Zigbee2MQTTDecoderTests: FixtureDecoderTestSuite {
    static let decoder = Zigbee2MQTTDecoder()
    static let fixtureFolder = "zigbee2mqtt"

    // MARK: - Device state

    @Test("docs temperature/humidity sensor: device is the friendly name, no time, numbers kept")
    func temperatureHumidity() throws {
        let messages = try decode("zigbee2mqtt/salle_du_conseil", Self.fixture("docs_temp_humidity_WSDCGQ01LM.json"))
        #expect(messages == [DecodedMessage(deviceID: "salle_du_conseil", time: nil, observations: [
            Observation(field: "humidity", value: .number(44.72)),
            Observation(field: "temperature", value: .number(27.34)),
        ])])
    }

    @Test("docs bulb: state ON stays a string, brightness and colour temperature are numbers")
    func bulb() throws {
        let messages = try decode("zigbee2mqtt/eclairage_preau", Self.fixture("docs_bulb_LED1545G12.json"))
        #expect(messages == [DecodedMessage(deviceID: "eclairage_preau", observations: [
            Observation(field: "brightness", value: .number(215)),
            Observation(field: "color_temp", value: .number(325)),
            Observation(field: "state", value: .string("ON")),
        ])])
    }

    @Test("docs occupancy sensor: occupancy is a boolean")
    func occupancy() throws {
        let messages = try decode("zigbee2mqtt/couloir_mairie", Self.fixture("docs_occupancy_RTCGQ01LM.json"))
        #expect(messages == [DecodedMessage(deviceID: "couloir_mairie", observations: [
            Observation(field: "occupancy", value: .bool(true)),
        ])])
    }

    @Test("multi-level base topic and friendly name with slashes; ISO last_seen is the time; update and device skipped")
    func multiLevelNamesAndMetadata() throws {
        let messages = try decode("maison/z2m/ecole/classe1/capteur",
                                  Self.fixture("aqara_temp_last_seen_iso_with_update_and_device.json"),
                                  options: ["base_topic": "maison/z2m"])
        // 2024-11-28T08:15:42+01:00 = 2024-11-28T07:15:42Z
        #expect(messages == [DecodedMessage(deviceID: "ecole/classe1/capteur", time: 1_732_778_142_000, observations: [
            Observation(field: "battery", value: .number(100)),
            Observation(field: "humidity", value: .number(58.3)),
            Observation(field: "linkquality", value: .number(87)),
            Observation(field: "power_outage_count", value: .number(2)),
            Observation(field: "pressure", value: .number(1012.4)),
            Observation(field: "temperature", value: .number(19.62)),
            Observation(field: "voltage", value: .number(3015)),
        ])])
    }

    @Test("base_topic with a trailing slash is the same base topic")
    func baseTopicTrailingSlash() throws {
        let messages = try decode("maison/z2m/salon", #"{"temperature":20.5}"#, options: ["base_topic": "maison/z2m/"])
        #expect(messages.map(\.deviceID) == ["salon"])
    }

    @Test("epoch-millisecond last_seen is the time; numeric strings stay strings; null readings are skipped")
    func epochLastSeenStringsAndNulls() throws {
        let messages = try decode("zigbee2mqtt/ecole/co2_cantine", Self.fixture("co2_sensor_last_seen_epoch_string_and_null.json"))
        #expect(messages == [DecodedMessage(deviceID: "ecole/co2_cantine", time: 1_732_778_142_123, observations: [
            Observation(field: "battery", value: .number(87)),
            Observation(field: "co2", value: .number(812)),
            Observation(field: "linkquality", value: .number(120)),
            Observation(field: "occupancy", value: .bool(false)),
            Observation(field: "temperature", value: .string("21.4")),
        ])])
    }

    @Test("smart plug OFF: every reading kept, state as the string OFF")
    func smartPlug() throws {
        let messages = try decode("zigbee2mqtt/prise_cafetiere", Self.fixture("smart_plug_state_off.json"))
        #expect(messages == [DecodedMessage(deviceID: "prise_cafetiere", observations: [
            Observation(field: "child_lock", value: .string("UNLOCK")),
            Observation(field: "current", value: .number(0)),
            Observation(field: "energy", value: .number(12.34)),
            Observation(field: "linkquality", value: .number(144)),
            Observation(field: "power", value: .number(0)),
            Observation(field: "state", value: .string("OFF")),
            Observation(field: "voltage", value: .number(231)),
        ])])
    }

    @Test("an unparseable last_seen leaves the receive time rather than losing the readings")
    func unparseableLastSeen() throws {
        let messages = try decode("zigbee2mqtt/salon", #"{"last_seen":"hier","temperature":20}"#)
        #expect(messages == [DecodedMessage(deviceID: "salon", time: nil, observations: [
            Observation(field: "temperature", value: .number(20)),
        ])])
    }

    @Test("an object without readings (only metadata) gives nothing to store")
    func onlyMetadata() throws {
        #expect(try decode("zigbee2mqtt/salon", #"{"update":{"state":"idle"},"last_seen":1732778142123}"#).isEmpty)
        #expect(try decode("zigbee2mqtt/salon", "{}").isEmpty)
    }

    // MARK: - Availability

    @Test("availability v2 JSON payloads give online and offline for a friendly name with slashes")
    func availabilityJSON() throws {
        let online = try decode("zigbee2mqtt/ecole/classe1/capteur/availability", Self.fixture("availability_json_payload_v2.json"))
        #expect(online == [DecodedMessage(deviceID: "ecole/classe1/capteur", status: .online)])
        let offline = try decode("zigbee2mqtt/ecole/classe1/capteur/availability", Self.fixture("availability_json_payload_offline_v2.json"))
        #expect(offline == [DecodedMessage(deviceID: "ecole/classe1/capteur", status: .offline)])
    }

    @Test("legacy plain availability payloads, any case")
    func availabilityLegacy() throws {
        #expect(try decode("zigbee2mqtt/lampe/availability", Self.fixture("availability_legacy_payload.txt"))
            == [DecodedMessage(deviceID: "lampe", status: .online)])
        #expect(try decode("zigbee2mqtt/lampe/availability", "Offline\n") == [DecodedMessage(deviceID: "lampe", status: .offline)])
    }

    @Test("an empty availability payload (retained message cleared on removal) gives nothing")
    func availabilityCleared() throws {
        #expect(try decode("zigbee2mqtt/lampe/availability", "").isEmpty)
    }

    @Test("unknown availability words and JSON without a state are rejected with the reason")
    func availabilityRejected() {
        #expect(rejection("zigbee2mqtt/lampe/availability", Array("maybe".utf8))
            == "availability state 'maybe' is neither online nor offline")
        #expect(rejection("zigbee2mqtt/lampe/availability", Array(#"{"status":"online"}"#.utf8))
            == #"availability payload has no string 'state' member: {"status":"online"}"#)
    }

    // MARK: - Ignored topics

    @Test("bridge state, logs, events and device lists give nothing")
    func bridgeIgnored() throws {
        #expect(try decode("zigbee2mqtt/bridge/event", Self.fixture("bridge_event_device_joined.json")).isEmpty)
        #expect(try decode("zigbee2mqtt/bridge/state", Self.fixture("bridge_state_online.json")).isEmpty)
        #expect(try decode("zigbee2mqtt/bridge/logging", Self.fixture("bridge_logging_info.json")).isEmpty)
        #expect(try decode("zigbee2mqtt/bridge/devices", "[]").isEmpty)
        #expect(try decode("maison/z2m/bridge/state", "online", options: ["base_topic": "maison/z2m"]).isEmpty)
    }

    @Test("set and get commands, with or without an attribute, give nothing")
    func commandsIgnored() throws {
        #expect(try decode("zigbee2mqtt/lampe/set", #"{"state":"ON"}"#).isEmpty)
        #expect(try decode("zigbee2mqtt/lampe/get", #"{"state":""}"#).isEmpty)
        #expect(try decode("zigbee2mqtt/ecole/lampe/set/state", "ON").isEmpty)
    }

    @Test("legacy action topics repeat the state's action field and give nothing")
    func legacyActionIgnored() throws {
        #expect(try decode("zigbee2mqtt/interrupteur/action", "single").isEmpty)
    }

    @Test("an empty state payload (retained message cleared) gives nothing")
    func stateCleared() throws {
        #expect(try decode("zigbee2mqtt/lampe", "").isEmpty)
    }

    // MARK: - Rejections

    @Test("a topic outside the base topic is rejected naming the option")
    func outsideBaseTopic() {
        #expect(rejection("z2m/lampe", Array("{}".utf8)) == "topic 'z2m/lampe' is not under the base topic 'zigbee2mqtt' (option base_topic)")
        #expect(rejection("zigbee2mqtt", Array("{}".utf8)) == "topic 'zigbee2mqtt' is not under the base topic 'zigbee2mqtt' (option base_topic)")
    }

    @Test("empty topic levels where a friendly name belongs are rejected")
    func emptyLevels() {
        #expect(rejection("zigbee2mqtt/", Array("{}".utf8)) == "topic 'zigbee2mqtt/' has an empty level where a friendly name was expected")
        #expect(rejection("zigbee2mqtt/a//b", Array("{}".utf8)) == "topic 'zigbee2mqtt/a//b' has an empty level where a friendly name was expected")
    }

    @Test("a truncated payload is rejected with the byte offset")
    func truncated() throws {
        #expect(rejection("zigbee2mqtt/salon", try Self.fixture("truncated_state.json"))
            == "invalid JSON at byte 27: unterminated string (truncated?)")
    }

    @Test("a state that is not a JSON object is rejected with its kind")
    func notAnObject() {
        #expect(rejection("zigbee2mqtt/salon", Array("[1,2]".utf8)) == "state of 'salon' must be a JSON object, got an array")
        #expect(rejection("zigbee2mqtt/salon", Array("21.5".utf8)) == "state of 'salon' must be a JSON object, got a number")
    }

    // MARK: - Robustness

    @Test("every prefix of every fixture and arbitrary bytes decode or throw, never crash")
    func neverCrashes() throws {
        var random = NoiseGenerator(seed: 7)
        try Self.forEachFixturePrefix { payload in
            for topic in ["zigbee2mqtt/a", "zigbee2mqtt/a/availability", "zigbee2mqtt/bridge/event", "x", ""] {
                _ = try? decode(topic, payload)
            }
        }
        for _ in 0..<500 {
            let bytes = random.nextBytes(countBelow: 40)
            _ = try? decode("zigbee2mqtt/a", bytes)
            _ = try? decode("zigbee2mqtt/a/availability", bytes)
        }
    }
}
