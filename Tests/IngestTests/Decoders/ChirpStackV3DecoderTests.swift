import Foundation
import Testing
@testable import Ingest

@Suite("ChirpStack v3 decoder")
struct ChirpStackV3DecoderTests: FixtureDecoderTestSuite {
    static let decoder = ChirpStackV3Decoder()
    static let fixtureFolder = "chirpstack-v3"
    static let receivedAt: Int64 = 1_750_000_000_000

    /// Decodes the fixture `name`, by default as an uplink event.
    func decode(_ name: String, topic: String = "application/123/device/0202020202020202/event/up") throws -> [DecodedMessage] {
        try decode(topic, Self.fixture(name))
    }

    /// The reason `payload` is rejected for, by default as an uplink event; a failed expectation when it is accepted.
    func decodeError(topic: String = "application/1/device/0202020202020202/event/up", _ payload: [UInt8]) -> String? {
        expectedRejection(topic, payload)
    }

    // MARK: Uplinks

    @Test("Documentation uplink (protobuf-JSON marshaler): base64 devEUI to hex, objectJSON string parsed")
    func docsProtobufJSONUplink() throws {
        let messages = try decode("up_protobuf_json_docs.json")
        // "AgICAgICAgI=" is eight 0x02 bytes; 2019-11-08T13:59:25.048445Z from rxInfo[0].time.
        #expect(messages == [DecodedMessage(deviceID: "0202020202020202", time: 1_573_221_565_048, observations: [
            Observation(field: "humiditySensor", value: .number(32)),
            Observation(field: "temperatureSensor", value: .number(25)),
            Observation(field: "radio.rssi", value: .number(-48)),
            Observation(field: "radio.snr", value: .number(9)),
            Observation(field: "radio.fcnt", value: .number(10)),
            Observation(field: "radio.sf", value: .number(11)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("LHT65 objectJSON with strings and a nested object; base64 devEUI with '+' decoded")
    func lht65ObjectJSON() throws {
        let message = try #require(try decode("up_protobuf_lht65_objectjson.json").first)
        // "qEBBAAGBx+I=" = a8 40 41 00 01 81 c7 e2.
        #expect(message.deviceID == "a84041000181c7e2")
        #expect(message.time == 1_688_306_709_872)
        #expect(message.observations == [
            Observation(field: "BatV", value: .number(3.052)),
            Observation(field: "Bat_status", value: .number(3)),
            Observation(field: "Ext_sensor", value: .string("Temperature Sensor")),
            Observation(field: "Hum_SHT", value: .string("66.3")),
            Observation(field: "Node_type.firmware", value: .string("1.8")),
            Observation(field: "Node_type.model", value: .string("LHT65")),
            Observation(field: "TempC_DS", value: .string("22.51")),
            Observation(field: "TempC_SHT", value: .string("21.17")),
            Observation(field: "radio.rssi", value: .number(-99)),
            Observation(field: "radio.snr", value: .number(2.5)),
            Observation(field: "radio.fcnt", value: .number(5123)),
            Observation(field: "radio.sf", value: .number(10)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])
    }

    @Test("Legacy JSON marshaler: hex devEUI lowercased, `object` as an object, no spreading factor (only dr)")
    func legacyJSONMarshaler() throws {
        let messages = try decode("up_json_v3_legacy_elsys_ers_co2.json", topic: "application/3/device/a81758fffe04b5c3/rx")
        #expect(messages == [DecodedMessage(deviceID: "a81758fffe04b5c3", time: 1_644_308_142_417, observations: [
            Observation(field: "co2", value: .number(1045)),
            Observation(field: "humidity", value: .number(38)),
            Observation(field: "light", value: .number(120)),
            Observation(field: "motion", value: .number(3)),
            Observation(field: "temperature", value: .number(21.7)),
            Observation(field: "vdd", value: .number(3648)),
            Observation(field: "radio.rssi", value: .number(-93)),
            Observation(field: "radio.snr", value: .number(6.8)),
            Observation(field: "radio.fcnt", value: .number(2211)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("objectJSON \"\" (no codec): radio only; gateways without GPS time fall back to publishedAt")
    func emptyObjectJSON() throws {
        let messages = try decode("up_protobuf_no_codec_no_gateway_time.json")
        // "cLPV514AovI=" = 70 b3 d5 e7 5e 00 a2 f2; publishedAt 2023-03-14T08:30:00.123456Z.
        #expect(messages == [DecodedMessage(deviceID: "70b3d5e75e00a2f2", time: 1_678_782_600_123, observations: [
            // -109 dBm beats -121 dBm.
            Observation(field: "radio.rssi", value: .number(-109)),
            Observation(field: "radio.snr", value: .number(-6)),
            Observation(field: "radio.fcnt", value: .number(0)),
            Observation(field: "radio.sf", value: .number(12)),
            Observation(field: "radio.gateways", value: .number(2)),
        ])])
    }

    @Test("objectJSON \"null\" gives no readings")
    func nullObjectJSON() throws {
        let payload = #"{"devEUI":"AgICAgICAgI=","fCnt":3,"fPort":1,"objectJSON":"null","rxInfo":[]}"#
        let messages = try ChirpStackV3Decoder().decode(topic: "application/1/device/x/event/up", payload: Array(payload.utf8), context: context)
        #expect(messages == [DecodedMessage(deviceID: "0202020202020202", observations: [
            Observation(field: "radio.fcnt", value: .number(3)),
            Observation(field: "radio.gateways", value: .number(0)),
        ])])
    }

    @Test("Uplink on a custom topic is recognised by objectJSON")
    func customTopicUplink() throws {
        let messages = try decode("up_protobuf_json_docs.json", topic: "commune/lora/garden-sensor")
        #expect(messages.first?.observations.first == Observation(field: "humiditySensor", value: .number(32)))
    }

    // MARK: Other events

    @Test("Status event gives margin and battery level, no time")
    func statusEvent() throws {
        let messages = try decode("status_protobuf_json_docs.json", topic: "application/123/device/0202020202020202/event/status")
        #expect(messages == [DecodedMessage(deviceID: "0202020202020202", time: nil, observations: [
            Observation(field: "status.margin", value: .number(6)),
            Observation(field: "status.battery_level", value: .number(75.5)),
        ])])
    }

    @Test("LoRa App Server v2 status on `/status`: raw battery 200/254 becomes 78.74 %")
    func legacyStatusBattery() throws {
        let messages = try decode("status_legacy_v2_battery.json", topic: "application/1/device/0004a30b001c0530/status")
        #expect(messages == [DecodedMessage(deviceID: "0004a30b001c0530", observations: [
            Observation(field: "status.margin", value: .number(6)),
            Observation(field: "status.battery_level", value: .number(78.74)),
        ])])
    }

    @Test("Legacy raw battery 0 (external power) and 255 (cannot measure) give no battery level", arguments: [0, 255])
    func legacyStatusNoBattery(battery: Int) throws {
        let payload = #"{"devEUI":"0004a30b001c0530","battery":\#(battery),"margin":-2}"#
        let messages = try ChirpStackV3Decoder().decode(topic: "application/1/device/0004a30b001c0530/status", payload: Array(payload.utf8), context: context)
        #expect(messages.first?.observations == [Observation(field: "status.margin", value: .number(-2))])
    }

    @Test("Status with externalPowerSource true gives the margin only")
    func statusExternalPower() throws {
        let payload = #"{"devEUI":"AgICAgICAgI=","margin":12,"externalPowerSource":true,"batteryLevelUnavailable":false,"batteryLevel":0}"#
        let messages = try ChirpStackV3Decoder().decode(topic: "application/1/device/x/event/status", payload: Array(payload.utf8), context: context)
        #expect(messages.first?.observations == [Observation(field: "status.margin", value: .number(12))])
    }

    @Test("Join event marks the device online, time from the gateway")
    func joinEvent() throws {
        let messages = try decode("join_protobuf_json_docs.json", topic: "application/123/device/0202020202020202/event/join")
        #expect(messages == [DecodedMessage(deviceID: "0202020202020202", time: 1_573_221_565_048, status: .online)])
    }

    @Test("Join on the v2 `/join` topic is recognised")
    func legacyJoinTopic() throws {
        let payload = #"{"applicationID":"1","devEUI":"0004a30b001c0530","devAddr":"06682ea2"}"#
        let messages = try ChirpStackV3Decoder().decode(topic: "application/1/device/0004a30b001c0530/join", payload: Array(payload.utf8), context: context)
        #expect(messages == [DecodedMessage(deviceID: "0004a30b001c0530", status: .online)])
    }

    @Test("Codec error event is ignored, on its topic and by its shape", arguments: [
        "application/3/device/a84041000181c7e2/event/error", "application/3/device/a84041000181c7e2/error", "custom/errors",
    ])
    func errorEventIgnored(topic: String) throws {
        #expect(try decode("error_codec.json", topic: topic).isEmpty)
    }

    @Test("txack carrying fCnt on a custom topic is ignored, not read as an uplink")
    func txackByShape() throws {
        let payload = #"{"applicationID":"1","devEUI":"AgICAgICAgI=","fCnt":12,"gatewayID":"AwMDAwMDAwM=","txInfo":{}}"#
        #expect(try ChirpStackV3Decoder().decode(topic: "custom/tx", payload: Array(payload.utf8), context: context).isEmpty)
    }

    // MARK: Rejections

    @Test("Empty payload is rejected")
    func emptyPayload() {
        #expect(decodeError([]) == "ChirpStack v3 payload: invalid JSON at byte 0: empty payload")
    }

    @Test("Binary protobuf payload is rejected with a hint about the marshaler")
    func protobufPayload() {
        let payload: [UInt8] = [0x0A, 0x03, 0x31, 0x32, 0x33, 0x12, 0x12]
        #expect(decodeError(payload)
            == "ChirpStack v3 payload: invalid JSON at byte 1: unexpected character '\u{03}' (the payload looks binary: is the network server publishing protobuf instead of JSON?)")
    }

    @Test("Truncated JSON is rejected with the byte offset")
    func truncatedPayload() {
        let payload = Array(#"{"devEUI":"AgICAgICAgI=","objectJSON":"{\"t\":1}""#.utf8)
        #expect(decodeError(payload) == "ChirpStack v3 payload: invalid JSON at byte \(payload.count): unexpected end of data in object (truncated?)")
    }

    @Test("objectJSON that is not valid JSON is rejected with the inner parse error")
    func invalidObjectJSON() throws {
        #expect(decodeError(try Self.fixture("up_objectjson_invalid.json"))
            == "ChirpStack v3 uplink: objectJSON is not valid JSON (invalid JSON at byte 26: unexpected end of data (truncated?))")
    }

    @Test("objectJSON holding a bare number is rejected")
    func objectJSONNotAnObject() {
        let payload = #"{"devEUI":"AgICAgICAgI=","fPort":1,"objectJSON":"21.5"}"#
        #expect(decodeError(Array(payload.utf8)) == "ChirpStack v3 uplink: objectJSON is a number, expected a JSON object")
    }

    @Test("Uplink without devEUI is rejected")
    func missingDevEUI() {
        let payload = #"{"applicationID":"1","fPort":1,"objectJSON":""}"#
        #expect(decodeError(Array(payload.utf8)) == "ChirpStack v3 uplink without devEUI")
    }

    @Test("devEUI neither hex nor base64 of 8 bytes is rejected", arguments: ["AgICAgICAg==", "0202-0202-0202", "not an eui"])
    func badDevEUI(devEUI: String) {
        let payload = #"{"devEUI":"\#(devEUI)","fPort":1,"objectJSON":""}"#
        #expect(decodeError(Array(payload.utf8)) == "ChirpStack v3 uplink: devEUI \"\(devEUI)\" is neither 16 hex digits nor the base64 of 8 bytes")
    }

    @Test("devEUI that is not a string is rejected")
    func numericDevEUI() {
        let payload = #"{"devEUI":202020202,"fPort":1}"#
        #expect(decodeError(Array(payload.utf8)) == "ChirpStack v3 uplink: devEUI is a number, expected a string of 16 hex digits")
    }
}
