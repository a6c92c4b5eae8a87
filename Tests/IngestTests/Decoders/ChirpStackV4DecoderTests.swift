import Foundation
import Testing
@testable import Ingest

@Suite("ChirpStack v4 decoder")
struct ChirpStackV4DecoderTests: FixtureDecoderTestSuite {
    static let decoder = ChirpStackV4Decoder()
    static let fixtureFolder = "chirpstack-v4"
    static let receivedAt: Int64 = 1_750_000_000_000

    /// Decodes the fixture `name` as the `event` of the device `devEui`.
    func decode(_ name: String, event: String = "up", devEui: String = "0101010101010101") throws -> [DecodedMessage] {
        try decode("application/17c82e96/device/\(devEui)/event/\(event)", Self.fixture(name))
    }

    /// The reason `payload` is rejected for, by default as an uplink event; a failed expectation when it is accepted.
    func decodeError(topic: String = "application/1/device/0101010101010101/event/up", _ payload: [UInt8]) -> String? {
        expectedRejection(topic, payload)
    }

    // MARK: Uplinks

    @Test("Documentation uplink without a codec gives radio metadata only, with the omitted zero fCnt")
    func docsUplinkWithoutObject() throws {
        let messages = try decode("up_docs_example.json")
        // 2022-07-18T09:34:15.775023242Z: 19191 days * 86400 + 34455 s, nanoseconds truncated to ms.
        #expect(messages == [DecodedMessage(deviceID: "0101010101010101", time: 1_658_136_855_775, observations: [
            Observation(field: "radio.rssi", value: .number(-36)),
            Observation(field: "radio.snr", value: .number(10.5)),
            Observation(field: "radio.fcnt", value: .number(0)),
            Observation(field: "radio.sf", value: .number(11)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("ThingsBoard documentation Milesight uplink: devEui, millisecond time, fCnt and spreading factor")
    func thingsBoardMilesightUplink() throws {
        let messages = try decode("up_thingsboard_docs_milesight.json", devEui: "24e124538b223213")
        #expect(messages == [DecodedMessage(deviceID: "24e124538b223213", time: 1_749_818_692_653, observations: [
            Observation(field: "radio.rssi", value: .number(-68)),
            Observation(field: "radio.snr", value: .number(13.2)),
            Observation(field: "radio.fcnt", value: .number(153)),
            Observation(field: "radio.sf", value: .number(7)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("EM300-TH uplink: uppercase devEui lowercased, nanosecond time, best of two gateways by RSSI")
    func em300WithTwoGateways() throws {
        let message = try #require(try decode("up_em300th_two_gateways.json").first)
        #expect(message.deviceID == "24e124136c225107")
        // 2024-11-05T07:12:33.123456789Z = 20032 days * 86400 + 25953 s.
        #expect(message.time == 1_730_790_753_123)
        #expect(message.status == nil)
        #expect(message.observations == [
            Observation(field: "battery", value: .number(98)),
            Observation(field: "humidity", value: .number(48.5)),
            Observation(field: "temperature", value: .number(21.4)),
            // The second gateway (-71 dBm) beats the first (-97 dBm): its SNR goes with it.
            Observation(field: "radio.rssi", value: .number(-71)),
            Observation(field: "radio.snr", value: .number(8.25)),
            Observation(field: "radio.fcnt", value: .number(4821)),
            Observation(field: "radio.sf", value: .number(9)),
            Observation(field: "radio.gateways", value: .number(2)),
        ])
    }

    @Test("LHT65 codec output with numbers as strings keeps them as strings for the normaliser; offset time honoured")
    func lht65NumbersAsStrings() throws {
        let message = try #require(try decode("up_lht65_numbers_as_strings.json").first)
        #expect(message.deviceID == "a84041000181c7e2")
        // 2024-01-15T23:45:10.5+01:00 = 22:45:10.500Z.
        #expect(message.time == 1_705_358_710_500)
        #expect(message.observations == [
            Observation(field: "BatV", value: .number(3.05)),
            Observation(field: "Bat_status", value: .number(3)),
            Observation(field: "Ext_sensor", value: .string("Temperature Sensor")),
            Observation(field: "Hum_SHT", value: .string("55.9")),
            Observation(field: "TempC_DS", value: .string("12.50")),
            Observation(field: "TempC_SHT", value: .string("13.84")),
            Observation(field: "radio.rssi", value: .number(-104)),
            Observation(field: "radio.snr", value: .number(-7)),
            Observation(field: "radio.fcnt", value: .number(77)),
            Observation(field: "radio.sf", value: .number(7)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])
    }

    @Test("Water meter without `time`: nested object dotted, null skipped, time from the GPS gateway's gwTime")
    func waterMeterNestedWithoutTime() throws {
        let message = try #require(try decode("up_water_meter_nested_no_time.json").first)
        #expect(message.deviceID == "70b3d5e75e00a2f1")
        // rxInfo[0] has only nsTime; rxInfo[1].gwTime 2024-06-20T04:00:07.900117Z wins over it.
        #expect(message.time == 1_718_856_007_900)
        #expect(message.observations == [
            Observation(field: "alarms.backflow", value: .bool(true)),
            Observation(field: "alarms.leak", value: .bool(false)),
            Observation(field: "index.unit", value: .string("L")),
            Observation(field: "index.value", value: .number(1_230_599)),
            // -112 dBm beats -118 dBm; that gateway's SNR was 0 and therefore omitted.
            Observation(field: "radio.rssi", value: .number(-112)),
            Observation(field: "radio.snr", value: .number(0)),
            Observation(field: "radio.fcnt", value: .number(12045)),
            Observation(field: "radio.sf", value: .number(12)),
            Observation(field: "radio.gateways", value: .number(2)),
        ])
    }

    @Test("Uplink time falls back to nsTime when neither `time` nor any gwTime is present")
    func timeFallsBackToNsTime() throws {
        let payload = #"{"deviceInfo":{"devEui":"70b3d5e75e00a2f1"},"fCnt":1,"fPort":3,"rxInfo":[{"rssi":-100,"snr":1,"nsTime":"2024-06-20T04:00:07.912345678+00:00"}]}"#
        let messages = try ChirpStackV4Decoder().decode(topic: "application/1/device/70b3d5e75e00a2f1/event/up", payload: Array(payload.utf8), context: context)
        #expect(messages.first?.time == 1_718_856_007_912)
    }

    @Test("Uplink with no time anywhere has a nil time (the receive time applies)")
    func uplinkWithoutAnyTime() throws {
        let payload = #"{"deviceInfo":{"devEui":"70b3d5e75e00a2f1"},"fCnt":2,"fPort":3,"object":{"pulses":4}}"#
        let messages = try ChirpStackV4Decoder().decode(topic: "application/1/device/70b3d5e75e00a2f1/event/up", payload: Array(payload.utf8), context: context)
        #expect(messages == [DecodedMessage(deviceID: "70b3d5e75e00a2f1", time: nil, observations: [
            Observation(field: "pulses", value: .number(4)),
            Observation(field: "radio.fcnt", value: .number(2)),
        ])])
    }

    @Test("EM300-TH history records become samples stamped with their own epoch-second timestamps")
    func historySamples() throws {
        let message = try #require(try decode("up_em300th_history.json").first)
        #expect(message.time == 1_730_797_202_250)
        #expect(message.observations == [
            Observation(field: "history.humidity", value: .number(50), time: 1_730_793_600_000),
            Observation(field: "history.temperature", value: .number(20.9), time: 1_730_793_600_000),
            Observation(field: "history.humidity", value: .number(49.5), time: 1_730_797_200_000),
            Observation(field: "history.temperature", value: .number(21.1), time: 1_730_797_200_000),
            Observation(field: "radio.rssi", value: .number(-70)),
            Observation(field: "radio.snr", value: .number(9)),
            Observation(field: "radio.fcnt", value: .number(4822)),
            Observation(field: "radio.sf", value: .number(7)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])
    }

    @Test("Zhaga D4i street-light node on a custom topic template: the uplink is recognised by its payload shape")
    func customTopicUplink() throws {
        let messages = try ChirpStackV4Decoder().decode(
            topic: "mairie/eclairage/0004a30b00f8e9d1", payload: Self.fixture("up_streetlight_custom_topic.json"), context: context)
        let message = try #require(messages.first)
        #expect(message.deviceID == "0004a30b00f8e9d1")
        #expect(message.time == 1_734_799_620_004)
        #expect(message.observations == [
            Observation(field: "active_energy", value: .number(152_340)),
            Observation(field: "active_power", value: .number(38.5)),
            Observation(field: "diagnostics.driver_failure", value: .bool(false)),
            Observation(field: "diagnostics.lamp_failure", value: .bool(false)),
            Observation(field: "dim_level", value: .number(70)),
            Observation(field: "lamp_status", value: .string("ON")),
            Observation(field: "power_factor", value: .number(0.96)),
            Observation(field: "supply_voltage", value: .number(231.4)),
            Observation(field: "radio.rssi", value: .number(-89)),
            Observation(field: "radio.snr", value: .number(4.5)),
            Observation(field: "radio.fcnt", value: .number(310)),
            Observation(field: "radio.sf", value: .number(8)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])
    }

    // MARK: Other events

    @Test("Status event gives status.margin and status.battery_level")
    func statusEvent() throws {
        let messages = try decode("status_docs_example.json", event: "status")
        #expect(messages == [DecodedMessage(deviceID: "0101010101010101", time: 1_658_136_906_927, observations: [
            Observation(field: "status.margin", value: .number(10)),
            Observation(field: "status.battery_level", value: .number(88.3)),
        ])])
    }

    @Test("Status event of a mains-powered device gives the margin only")
    func statusEventExternalPower() throws {
        let messages = try decode("status_external_power.json", event: "status", devEui: "0004a30b00f8e9d1")
        #expect(messages == [DecodedMessage(deviceID: "0004a30b00f8e9d1", time: 1_734_799_812_000, observations: [
            Observation(field: "status.margin", value: .number(19)),
        ])])
    }

    @Test("Status event with omitted zero margin and battery reports zeros; on a custom topic, found by shape")
    func statusEventOmittedZeros() throws {
        let payload = #"{"deviceInfo":{"devEui":"0101010101010101"},"batteryLevelUnavailable":false,"time":"2024-01-01T00:00:00Z"}"#
        let messages = try ChirpStackV4Decoder().decode(topic: "lora/status-feed", payload: Array(payload.utf8), context: context)
        #expect(messages == [DecodedMessage(deviceID: "0101010101010101", time: 1_704_067_200_000, observations: [
            Observation(field: "status.margin", value: .number(0)),
            Observation(field: "status.battery_level", value: .number(0)),
        ])])
    }

    @Test("Join event marks the device online without observations")
    func joinEvent() throws {
        let messages = try decode("join_docs_example.json", event: "join")
        #expect(messages == [DecodedMessage(deviceID: "0101010101010101", time: 1_658_136_808_823, observations: [], status: .online)])
    }

    @Test("Log event is ignored")
    func logEventIgnored() throws {
        #expect(try decode("log_docs_example.json", event: "log").isEmpty)
    }

    @Test("Log event on a custom topic is ignored by its shape, not mistaken for anything else")
    func logEventByShape() throws {
        let messages = try ChirpStackV4Decoder().decode(topic: "custom/feed", payload: Self.fixture("log_docs_example.json"), context: context)
        #expect(messages.isEmpty)
    }

    @Test("ack, txack, location and integration events are ignored", arguments: ["ack", "txack", "location", "integration"])
    func otherEventsIgnored(event: String) throws {
        let payload = #"{"deviceInfo":{"devEui":"0101010101010101"},"acknowledged":true,"fCntDown":7}"#
        let messages = try ChirpStackV4Decoder().decode(
            topic: "application/1/device/0101010101010101/event/\(event)", payload: Array(payload.utf8), context: context)
        #expect(messages.isEmpty)
    }

    @Test("Integration event carrying `object` on a custom topic is ignored, not read as an uplink")
    func integrationEventByShape() throws {
        let payload = #"{"deviceInfo":{"devEui":"0101010101010101"},"integrationName":"loracloud","eventType":"geolocation","object":{"lat":45.1}}"#
        #expect(try ChirpStackV4Decoder().decode(topic: "custom/feed", payload: Array(payload.utf8), context: context).isEmpty)
    }

    // MARK: Rejections

    @Test("Empty payload is rejected")
    func emptyPayload() {
        #expect(decodeError([]) == "ChirpStack v4 payload: invalid JSON at byte 0: empty payload")
    }

    @Test("Truncated JSON is rejected with the byte offset where it stops")
    func truncatedPayload() throws {
        let payload = try Self.fixture("up_truncated.json")
        #expect(decodeError(payload) == "ChirpStack v4 payload: invalid JSON at byte \(payload.count): invalid number: digit expected after '.'")
    }

    @Test("JSON that is not an object is rejected")
    func notAnObject() {
        #expect(decodeError(Array("[1,2]".utf8)) == "ChirpStack v4 payload is a JSON array, expected a JSON object")
    }

    @Test("Uplink without deviceInfo.devEui is rejected")
    func missingDevEui() {
        let payload = #"{"deviceInfo":{"deviceName":"x"},"fPort":1,"object":{"t":1}}"#
        #expect(decodeError(Array(payload.utf8)) == "ChirpStack v4 uplink without deviceInfo.devEui")
    }

    @Test("Gateway-bridge frame subscribed by mistake is rejected with a hint")
    func gatewayFrame() {
        let payload = #"{"phyPayload":"QAQDAgGAAQAB","txInfo":{},"rxInfo":{"gatewayId":"0016c001f153a14c"}}"#
        #expect(decodeError(Array(payload.utf8)) == "ChirpStack v4 uplink without deviceInfo.devEui (this looks like a gateway frame from gateway/…/event/up: subscribe to application/+/device/+/event/+ instead)")
    }

    @Test("devEui that is not 16 hex digits is rejected")
    func badDevEui() throws {
        #expect(decodeError(try Self.fixture("up_bad_deveui.json")) == "ChirpStack v4 uplink: deviceInfo.devEui \"24e1-2413-6c22-51\" is not 16 hex digits")
    }

    @Test("`object` that is not an object is rejected")
    func objectNotAnObject() {
        let payload = #"{"deviceInfo":{"devEui":"0101010101010101"},"fPort":1,"object":"21.5"}"#
        #expect(decodeError(Array(payload.utf8)) == "ChirpStack v4 uplink: object is a string, expected a JSON object")
    }

    @Test("Payload whose event type cannot be told on a custom topic is rejected with its keys")
    func unknownShape() {
        let payload = #"{"deviceInfo":{"devEui":"0101010101010101"},"foo":1}"#
        #expect(decodeError(topic: "custom/feed", Array(payload.utf8))
            == "ChirpStack v4 message on topic 'custom/feed': cannot tell the event type from the topic or the payload (keys: deviceInfo, foo)")
    }
}
