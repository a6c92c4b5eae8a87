import Foundation
import Testing
@testable import Ingest

@Suite("The Things Stack v3 decoder")
struct ThingsStackV3DecoderTests: FixtureDecoderTestSuite {
    static let decoder = ThingsStackV3Decoder()
    static let fixtureFolder = "tts-v3"
    static let receivedAt: Int64 = 1_750_000_000_000

    /// Decodes the fixture `name`, by default as an uplink.
    func decode(_ name: String, topic: String = "v3/app1@tenant1/devices/dev1/up") throws -> [DecodedMessage] {
        try decode(topic, Self.fixture(name))
    }

    /// Decodes the JSON text `json`, by default as an uplink.
    func decode(json: String, topic: String = "v3/app1@ttn/devices/dev1/up") throws -> [DecodedMessage] {
        try decode(topic, json)
    }

    /// The reason `payload` is rejected for, by default as an uplink; a failed expectation when it is accepted.
    func decodeError(topic: String = "v3/app1@ttn/devices/dev1/up", _ payload: [UInt8]) -> String? {
        expectedRejection(topic, payload)
    }

    // MARK: Uplinks

    @Test("Data-formats documentation uplink: dev_eui lowercased, uplink_message.received_at, decoded_payload")
    func docsDataFormatsUplink() throws {
        let messages = try decode("up_docs_data_formats_example.json")
        // uplink_message.received_at 2020-02-12T15:15:45.789585559Z (not the later top-level received_at).
        #expect(messages == [DecodedMessage(deviceID: "0004a30b001c0530", time: 1_581_520_545_789, observations: [
            Observation(field: "luminosity", value: .number(0.64)),
            Observation(field: "temperature", value: .number(1)),
            Observation(field: "radio.rssi", value: .number(-35)),
            Observation(field: "radio.snr", value: .number(5)),
            Observation(field: "radio.fcnt", value: .number(1)),
            Observation(field: "radio.sf", value: .number(7)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("MQTT-page documentation uplink without payload formatter: radio only, gateway time, omitted zero f_cnt")
    func docsMQTTPageUplink() throws {
        let messages = try decode("up_docs_mqtt_page_example.json")
        // rx_metadata[0].time 2019-01-29T13:02:34.981Z; f_cnt absent on a data uplink (f_port 15) is 0.
        #expect(messages == [DecodedMessage(deviceID: "4200000000000000", time: 1_548_766_954_981, observations: [
            Observation(field: "radio.rssi", value: .number(-35)),
            Observation(field: "radio.snr", value: .number(5)),
            Observation(field: "radio.fcnt", value: .number(0)),
            Observation(field: "radio.sf", value: .number(7)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("Documentation fragment without end_device_ids: device from the topic, decoded_payload preferred to normalized")
    func docsFragmentWithWarningsAndNormalized() throws {
        let messages = try decode("uplink_fragment_docs_decoded_warnings_normalized_jsdate.json", topic: "v3/weather@ttn/devices/station-lavoir/up")
        #expect(messages == [DecodedMessage(deviceID: "station-lavoir", time: nil, observations: [
            Observation(field: "battery", value: .number(3250)),
            Observation(field: "event", value: .string("setup")),
            Observation(field: "light", value: .number(1152)),
            // A JavaScript Date string is not a timestamp the gateway parses: it stays a string field.
            Observation(field: "recvTime", value: .string("Tue Jan 21 2025 17:56:54 GMT+0100 (CET)")),
            Observation(field: "temperature", value: .number(-21.3)),
            Observation(field: "radio.fcnt", value: .number(0)),
        ])])
    }

    @Test("Elsys ERS CO2 heard by two gateways: Packet Broker gateway with channel_rssi only is the best")
    func elsysTwoGateways() throws {
        let messages = try decode("up_elsys_ers_co2_two_gateways.json", topic: "v3/qualite-air@ttn/devices/ers-co2-salle-conseil/up")
        // uplink_message.received_at 2024-10-21T06:00:12.211846412Z.
        #expect(messages == [DecodedMessage(deviceID: "a81758fffe0523d9", time: 1_729_490_412_211, observations: [
            Observation(field: "co2", value: .number(1053)),
            Observation(field: "humidity", value: .number(38)),
            Observation(field: "light", value: .number(120)),
            Observation(field: "motion", value: .number(0)),
            Observation(field: "temperature", value: .number(21.7)),
            Observation(field: "vdd", value: .number(3648)),
            Observation(field: "radio.rssi", value: .number(-101)),
            Observation(field: "radio.snr", value: .number(2.75)),
            Observation(field: "radio.fcnt", value: .number(3187)),
            Observation(field: "radio.sf", value: .number(9)),
            Observation(field: "radio.gateways", value: .number(2)),
        ])])
    }

    @Test("normalized_payload only: its single measurement is flattened; received_at without fraction")
    func normalizedPayloadOnly() throws {
        let messages = try decode("up_normalized_payload_only.json", topic: "v3/batiments@ttn/devices/eui-a840414e61866f0b/up")
        // 2024-10-21T06:15:00Z = 1729491300 s.
        #expect(messages == [DecodedMessage(deviceID: "a840414e61866f0b", time: 1_729_491_300_000, observations: [
            Observation(field: "air.relativeHumidity", value: .number(52.3)),
            Observation(field: "air.temperature", value: .number(19.6)),
            Observation(field: "battery", value: .number(3.04)),
            Observation(field: "radio.rssi", value: .number(-88)),
            Observation(field: "radio.snr", value: .number(7.5)),
            Observation(field: "radio.fcnt", value: .number(9)),
            Observation(field: "radio.sf", value: .number(7)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("Simulated uplink of a device without DevEUI: device_id, top-level received_at, still a reading")
    func simulatedUplinkDeviceIDOnly() throws {
        let messages = try decode("up_simulated_device_id_only.json", topic: "v3/stationnement@ttn/devices/parking-place-03/up")
        #expect(messages == [DecodedMessage(deviceID: "parking-place-03", time: 1_729_503_000_512, observations: [
            Observation(field: "occupied", value: .bool(true)),
            Observation(field: "radio.rssi", value: .number(42)),
            Observation(field: "radio.snr", value: .number(4.2)),
            Observation(field: "radio.fcnt", value: .number(0)),
            Observation(field: "radio.sf", value: .number(7)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("normalized_payload history: time-stamped measurements become samples at their own times")
    func normalizedHistory() throws {
        let json = #"""
        {"end_device_ids":{"device_id":"dev1","dev_eui":"0004A30B001C0530"},"uplink_message":{"f_port":2,"f_cnt":40,
         "normalized_payload":[{"time":"2024-10-21T06:00:00Z","air":{"temperature":19.1}},{"time":"2024-10-21T06:10:00Z","air":{"temperature":19.4}}]}}
        """#
        let message = try #require(try decode(json: json).first)
        #expect(message.observations == [
            Observation(field: "air.temperature", value: .number(19.1), time: 1_729_490_400_000),
            Observation(field: "air.temperature", value: .number(19.4), time: 1_729_491_000_000),
            Observation(field: "radio.fcnt", value: .number(40)),
        ])
    }

    @Test("A single normalized measurement with a local-offset time carries that time, not a `time` field")
    func normalizedSingleWithTime() throws {
        let json = #"{"end_device_ids":{"dev_eui":"0004A30B001C0530"},"uplink_message":{"f_cnt":41,"normalized_payload":[{"time":"2024-10-21T08:10:00+02:00","soil":{"moisture":31.5}}]}}"#
        let message = try #require(try decode(json: json).first)
        #expect(message.observations == [
            Observation(field: "soil.moisture", value: .number(31.5), time: 1_729_491_000_000),
            Observation(field: "radio.fcnt", value: .number(41)),
        ])
    }

    @Test("Several normalized measurements without time (probes at two depths) keep their index")
    func normalizedSeveralWithoutTime() throws {
        let json = #"{"end_device_ids":{"dev_eui":"0004A30B001C0530"},"uplink_message":{"f_cnt":42,"normalized_payload":[{"soil":{"depth":0.1,"moisture":31}},{"soil":{"depth":0.3,"moisture":35}}]}}"#
        let message = try #require(try decode(json: json).first)
        #expect(message.observations == [
            Observation(field: "0.soil.depth", value: .number(0.1)),
            Observation(field: "0.soil.moisture", value: .number(31)),
            Observation(field: "1.soil.depth", value: .number(0.3)),
            Observation(field: "1.soil.moisture", value: .number(35)),
            Observation(field: "radio.fcnt", value: .number(42)),
        ])
    }

    @Test("Uplink on a custom Pub/Sub topic is recognised by uplink_message")
    func customTopicUplink() throws {
        let messages = try decode("up_docs_data_formats_example.json", topic: "mairie/lora/uplinks")
        #expect(messages.first?.deviceID == "0004a30b001c0530")
        #expect(messages.first?.observations.count == 7)
    }

    // MARK: Other messages

    @Test("Join marks the device online at join_accept.received_at")
    func joinMessage() throws {
        let messages = try decode("join_docs_data_formats_example.json", topic: "v3/app1@tenant1/devices/dev1/join")
        #expect(messages == [DecodedMessage(deviceID: "0004a30b001c0530", time: 1_581_925_749_736, status: .online)])
    }

    @Test("Join on a custom topic is recognised by join_accept")
    func joinByShape() throws {
        let messages = try decode("join_docs_data_formats_example.json", topic: "mairie/lora/joins")
        #expect(messages.first?.status == .online)
    }

    @Test("Downlink, service data and location messages are ignored", arguments: [
        "v3/qualite-air@ttn/devices/ers-co2-salle-conseil/down/sent",
        "v3/qualite-air@ttn/devices/ers-co2-salle-conseil/down/queued",
        "v3/qualite-air@ttn/devices/ers-co2-salle-conseil/service/data",
        "v3/qualite-air@ttn/devices/ers-co2-salle-conseil/location/solved",
        "mairie/lora/downlinks",
    ])
    func otherMessagesIgnored(topic: String) throws {
        #expect(try decode("down_sent.json", topic: topic).isEmpty)
    }

    // MARK: Rejections

    @Test("Empty payload is rejected")
    func emptyPayload() {
        #expect(decodeError([]) == "The Things Stack payload: invalid JSON at byte 0: empty payload")
    }

    @Test("Truncated JSON is rejected with the byte offset")
    func truncatedPayload() {
        let payload = Array(#"{"end_device_ids":{"device_id":"dev1"},"uplink_message":{"f_cnt":"#.utf8)
        #expect(decodeError(payload) == "The Things Stack payload: invalid JSON at byte \(payload.count): unexpected end of data (truncated?)")
    }

    @Test("An up message without uplink_message is rejected")
    func upWithoutUplinkMessage() {
        let payload = #"{"end_device_ids":{"device_id":"dev1","dev_eui":"0004A30B001C0530"},"received_at":"2024-10-21T06:00:00Z"}"#
        #expect(decodeError(Array(payload.utf8)) == "The Things Stack uplink without an uplink_message object (keys: end_device_ids, received_at)")
    }

    @Test("dev_eui that is not 16 hex digits is rejected")
    func badDevEUI() {
        let payload = #"{"end_device_ids":{"device_id":"dev1","dev_eui":"0004A30B001C05"},"uplink_message":{}}"#
        #expect(decodeError(Array(payload.utf8)) == "The Things Stack uplink: end_device_ids.dev_eui \"0004A30B001C05\" is not 16 hex digits")
    }

    @Test("An uplink naming no device, on a custom topic, is rejected")
    func noDevice() {
        let payload = #"{"uplink_message":{"decoded_payload":{"t":1}}}"#
        #expect(decodeError(topic: "mairie/lora/uplinks", Array(payload.utf8)) == "The Things Stack uplink without end_device_ids.dev_eui or end_device_ids.device_id")
    }

    @Test("decoded_payload that is not an object is rejected")
    func decodedPayloadNotAnObject() {
        let payload = #"{"end_device_ids":{"dev_eui":"0004A30B001C0530"},"uplink_message":{"decoded_payload":"21.5"}}"#
        #expect(decodeError(Array(payload.utf8)) == "The Things Stack uplink: decoded_payload is a string, expected a JSON object")
    }

    @Test("A message of unknown shape on a custom topic is rejected with its keys")
    func unknownShape() {
        #expect(decodeError(topic: "mairie/lora/x", Array(#"{"foo":1}"#.utf8))
            == "The Things Stack message on topic 'mairie/lora/x': cannot tell the message type from the topic or the payload (keys: foo)")
    }
}
