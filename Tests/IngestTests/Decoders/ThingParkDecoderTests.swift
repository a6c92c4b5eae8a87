import Foundation
import Testing
@testable import Ingest

private let topic = "thingpark/mairie/uplink"

@Suite("ThingPark decoder")
struct ThingParkDecoderTests: FixtureDecoderTestSuite {
    static let decoder = ThingParkDecoder()
    static let fixtureFolder = "thingpark"
    static let receivedAt: Int64 = 1_750_000_000_000

    /// Decodes the fixture `name` received on `topic`.
    func decode(_ name: String) throws -> [DecodedMessage] {
        try decode(topic, Self.fixture(name))
    }

    /// The reason `payload` received on `topic` is rejected for; a failed expectation when it is accepted.
    func decodeError(_ payload: [UInt8]) -> String? {
        expectedRejection(topic, payload)
    }

    // MARK: Uplinks

    @Test("2018 format with every value a string: DevEUI lowercased, +02:00 time, radio values parsed from strings")
    func legacyAllStrings() throws {
        let messages = try decode("thingpark_DevEUI_uplink_legacy_all_strings.json")
        // 2018-10-03T15:38:46.882+02:00 = 13:38:46.882Z = 17807 days * 86400 + 49126 s.
        #expect(messages == [DecodedMessage(deviceID: "0018b20000000b20", time: 1_538_573_926_882, observations: [
            Observation(field: "radio.rssi", value: .number(-80)),
            Observation(field: "radio.snr", value: .number(7)),
            Observation(field: "radio.fcnt", value: .number(1174)),
            Observation(field: "radio.sf", value: .number(7)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("2024 format with numbers: the driver's decoded payload is flattened, `points` are not duplicated")
    func format2024Decoded() throws {
        let messages = try decode("thingpark_DevEUI_uplink_2024_numbers_decoded_TRUNCATED.json")
        #expect(messages == [DecodedMessage(deviceID: "0018b20000000bee", time: 1_734_427_015_911, observations: [
            Observation(field: "batteryVoltage", value: .number(3017)),
            Observation(field: "downlinkFrameCounter", value: .number(174)),
            Observation(field: "gps.latitude.degrees", value: .number(48)),
            Observation(field: "gps.latitude.hemisphere", value: .string("NORTH")),
            Observation(field: "gps.latitude.minutes", value: .number(56.043)),
            Observation(field: "gps.longitude.degrees", value: .number(2)),
            Observation(field: "gps.longitude.hemisphere", value: .string("EAST")),
            Observation(field: "gps.longitude.minutes", value: .number(11.77)),
            Observation(field: "temperature", value: .number(24)),
            Observation(field: "triggeredByAccelerometer", value: .bool(false)),
            Observation(field: "triggeredByPushbutton", value: .bool(false)),
            Observation(field: "uplinkFrameCounter", value: .number(186)),
            Observation(field: "radio.rssi", value: .number(-84)),
            Observation(field: "radio.snr", value: .number(9.75)),
            Observation(field: "radio.fcnt", value: .number(368)),
            Observation(field: "radio.sf", value: .number(7)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("Street-light controller heard by two LRRs: the strongest LRR wins over ThingPark's top-level choice")
    func legacyTwoLrrs() throws {
        let messages = try decode("uplink_legacy_streetlight_two_lrrs.json")
        // 2019-05-14T21:03:11.26+02:00 = 19:03:11.260Z.
        #expect(messages == [DecodedMessage(deviceID: "70b3d5e75e001a3c", time: 1_557_860_591_260, observations: [
            Observation(field: "radio.rssi", value: .number(-96)),
            Observation(field: "radio.snr", value: .number(3.5)),
            Observation(field: "radio.fcnt", value: .number(23817)),
            Observation(field: "radio.sf", value: .number(10)),
            Observation(field: "radio.gateways", value: .number(2)),
        ])])
    }

    @Test("Lrrs.Lrr as a single object (XML-converted feeds) is read like a one-element list")
    func singleLrrObject() throws {
        let messages = try decode("uplink_legacy_single_lrr_object.json")
        // 2020-01-07T06:45:00.003+01:00 = 05:45:00.003Z.
        #expect(messages == [DecodedMessage(deviceID: "0004a30b0021f3e8", time: 1_578_375_900_003, observations: [
            Observation(field: "radio.rssi", value: .number(-117)),
            Observation(field: "radio.snr", value: .number(-12.5)),
            Observation(field: "radio.fcnt", value: .number(880)),
            Observation(field: "radio.sf", value: .number(12)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    @Test("Adeunis Pulse water meter: nested status, strings and an indexed counter array")
    func adeunisPulse() throws {
        let message = try #require(try decode("uplink_2024_adeunis_pulse_water.json").first)
        #expect(message.deviceID == "0018b2400000a7c1")
        // 2025-02-03T05:30:00.127+01:00 = 04:30:00.127Z.
        #expect(message.time == 1_738_557_000_127)
        #expect(message.observations == [
            Observation(field: "counterValues.0", value: .number(311_196)),
            Observation(field: "counterValues.1", value: .number(311_140)),
            Observation(field: "decodingInfo", value: .string("values: [t=0, t-1]")),
            Observation(field: "status.configurationDone", value: .bool(false)),
            Observation(field: "status.frameCounter", value: .number(5)),
            Observation(field: "status.hardwareError", value: .bool(false)),
            Observation(field: "status.lowBattery", value: .bool(false)),
            Observation(field: "type", value: .string("0x46 Data")),
            Observation(field: "radio.rssi", value: .number(-101)),
            Observation(field: "radio.snr", value: .number(-2.5)),
            Observation(field: "radio.fcnt", value: .number(5012)),
            Observation(field: "radio.sf", value: .number(9)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])
    }

    @Test("Without Lrrs, the top-level LrrRSSI and LrrSNR are used")
    func topLevelRadioOnly() throws {
        let payload = #"{"DevEUI_uplink":{"Time":"2024-03-01T12:00:00.000+01:00","DevEUI":"0018B20000000B20","FCntUp":"5","LrrRSSI":"-90.500000","LrrSNR":"1.250000"}}"#
        let messages = try ThingParkDecoder().decode(topic: topic, payload: Array(payload.utf8), context: context)
        // 2024-03-01T11:00:00Z = 19783 days * 86400 + 39600 s.
        #expect(messages == [DecodedMessage(deviceID: "0018b20000000b20", time: 1_709_290_800_000, observations: [
            Observation(field: "radio.rssi", value: .number(-90.5)),
            Observation(field: "radio.snr", value: .number(1.25)),
            Observation(field: "radio.fcnt", value: .number(5)),
            Observation(field: "radio.gateways", value: .number(1)),
        ])])
    }

    // MARK: Other messages

    @Test("DevEUI_notification is ignored")
    func notificationIgnored() throws {
        #expect(try decode("notification_ack.json").isEmpty)
    }

    @Test("DevEUI_location is ignored")
    func locationIgnored() throws {
        let payload = #"{"DevEUI_location":{"DevEUI":"0018B20000000BEE","DevLAT":47.93,"DevLON":1.19}}"#
        #expect(try ThingParkDecoder().decode(topic: topic, payload: Array(payload.utf8), context: context).isEmpty)
    }

    // MARK: Rejections

    @Test("Empty payload is rejected")
    func emptyPayload() {
        #expect(decodeError([]) == "ThingPark payload: invalid JSON at byte 0: empty payload")
    }

    @Test("Truncated JSON is rejected with the byte offset")
    func truncatedPayload() throws {
        let payload = Array(try Self.fixture("thingpark_DevEUI_uplink_legacy_all_strings.json").prefix(120))
        let reason = try #require(decodeError(payload))
        // The cut falls inside the string `"FCntUp": "117…`.
        #expect(reason == "ThingPark payload: invalid JSON at byte 120: unterminated string (truncated?)")
    }

    @Test("A message without a DevEUI_ wrapper is rejected with its keys")
    func noWrapper() {
        let payload = #"{"DevEUI":"0018B20000000B20","payload_hex":"9e1c"}"#
        #expect(decodeError(Array(payload.utf8)) == "ThingPark message without a DevEUI_uplink (or other DevEUI_…) member (keys: DevEUI, payload_hex)")
    }

    @Test("DevEUI_uplink that is not an object is rejected")
    func wrapperNotAnObject() {
        #expect(decodeError(Array(#"{"DevEUI_uplink":"0018B20000000B20"}"#.utf8)) == "ThingPark DevEUI_uplink is a string, expected a JSON object")
    }

    @Test("DevEUI_uplink without DevEUI is rejected")
    func missingDevEUI() {
        #expect(decodeError(Array(#"{"DevEUI_uplink":{"Time":"2024-03-01T12:00:00+01:00"}}"#.utf8)) == "ThingPark DevEUI_uplink without DevEUI")
    }

    @Test("DevEUI that is not 16 hex digits is rejected")
    func badDevEUI() {
        #expect(decodeError(Array(#"{"DevEUI_uplink":{"DevEUI":"0018B20000000BZZ"}}"#.utf8))
            == "ThingPark DevEUI_uplink: DevEUI \"0018B20000000BZZ\" is not 16 hex digits")
    }
}
