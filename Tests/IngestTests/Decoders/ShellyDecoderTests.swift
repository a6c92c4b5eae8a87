import Foundation
import Testing
@testable import Ingest

@Suite("Shelly decoder")
struct ShellyDecoderTests: FixtureDecoderTestSuite {
    static let decoder = ShellyDecoder()
    static let fixtureFolder = "shelly"
    static let plus1pm = "shellyplus1pm-a8032ab12345"

    /// The documented Gen1 examples with concrete values: `topic<TAB>payload<TAB>meaning` lines.
    static func gen1Examples() throws -> [(topic: String, payload: String)] {
        let text = String(decoding: try fixture("gen1_topics_and_payloads.txt"), as: UTF8.self)
        return text.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard !line.hasPrefix("#"), columns.count >= 2, !line.contains("<") else { return nil }
            return (String(columns[0]), String(columns[1]))
        }
    }

    // MARK: - Gen2 status

    @Test("Plus 1PM switch status: component key as prefix, id/source and per-minute energy history left out")
    func switchStatus() throws {
        let messages = try decode("\(Self.plus1pm)/status/switch:0", Self.fixture("gen2_status_switch0_plus1pm_iobroker438.json"))
        #expect(messages == [DecodedMessage(deviceID: Self.plus1pm, time: nil, observations: [
            Observation(field: "switch:0.aenergy.total", value: .number(0)),
            Observation(field: "switch:0.apower", value: .number(0)),
            Observation(field: "switch:0.output", value: .bool(false)),
            Observation(field: "switch:0.temperature.tC", value: .number(46.2)),
            Observation(field: "switch:0.temperature.tF", value: .number(115.1)),
            Observation(field: "switch:0.voltage", value: .number(240.873)),
        ])])
    }

    @Test("custom multi-level prefix is the device id; returned energy and error list flattened")
    func customPrefix() throws {
        let messages = try decode("mairie/chaufferie/pompe/status/switch:0", Self.fixture("gen3_status_switch0_mini_pm_ret_aenergy_errors.json"))
        #expect(messages == [DecodedMessage(deviceID: "mairie/chaufferie/pompe", observations: [
            Observation(field: "switch:0.aenergy.total", value: .number(123_456.789)),
            Observation(field: "switch:0.apower", value: .number(1520.3)),
            Observation(field: "switch:0.current", value: .number(6.62)),
            Observation(field: "switch:0.errors.0", value: .string("overpower")),
            Observation(field: "switch:0.freq", value: .number(50)),
            Observation(field: "switch:0.output", value: .bool(true)),
            Observation(field: "switch:0.pf", value: .number(0.99)),
            Observation(field: "switch:0.ret_aenergy.total", value: .number(0)),
            Observation(field: "switch:0.temperature.tC", value: .number(52.3)),
            Observation(field: "switch:0.temperature.tF", value: .number(126.1)),
            Observation(field: "switch:0.voltage", value: .number(229.8)),
        ])])
    }

    @Test("Pro 3EM em:0 status: three phases and totals, null neutral current skipped")
    func threePhaseMeter() throws {
        let message = try #require(try decode("shellypro3em-0cb815fc1234/status/em:0", Self.fixture("gen2_status_em0_pro3em.json")).first)
        #expect(message.observations.count == 21)  // 6 per phase, 3 totals
        #expect(message.observations.first { $0.field == "em:0.total_act_power" }?.value == .number(348.6))
        #expect(message.observations.first { $0.field == "em:0.b_voltage" }?.value == .number(229.9))
        #expect(!message.observations.contains { $0.field.hasPrefix("em:0.n_current") || $0.field == "em:0.id" })
    }

    @Test("add-on temperature:100 status")
    func addOnTemperature() throws {
        #expect(try decode("\(Self.plus1pm)/status/temperature:100", Self.fixture("gen2_status_temperature100_addon.json"))
            == [DecodedMessage(deviceID: Self.plus1pm, observations: [
                Observation(field: "temperature:100.tC", value: .number(19.8)),
                Observation(field: "temperature:100.tF", value: .number(67.6)),
            ])])
    }

    @Test("system status carries no reading")
    func systemIgnored() throws {
        #expect(try decode("\(Self.plus1pm)/status/sys", Self.fixture("gen2_status_sys.json")).isEmpty)
    }

    // MARK: - Gen2 events/rpc

    @Test("NotifyStatus: partial status at params.ts (epoch seconds with fraction)")
    func notifyStatus() throws {
        #expect(try decode("\(Self.plus1pm)/events/rpc", Self.fixture("gen2_events_rpc_notify_status_switch0.json"))
            == [DecodedMessage(deviceID: Self.plus1pm, time: 1_631_266_595_430, observations: [
                Observation(field: "switch:0.apower", value: .number(8.9)),
            ])])
    }

    @Test("NotifyFullStatus: measuring components and Wi-Fi RSSI only")
    func notifyFullStatus() throws {
        #expect(try decode("\(Self.plus1pm)/events/rpc", Self.fixture("gen2_events_rpc_notify_full_status_plus1pm.json"))
            == [DecodedMessage(deviceID: Self.plus1pm, time: 1_732_780_812_050, observations: [
                Observation(field: "input:0.state", value: .bool(false)),
                Observation(field: "switch:0.aenergy.total", value: .number(1520.332)),
                Observation(field: "switch:0.apower", value: .number(42.5)),
                Observation(field: "switch:0.current", value: .number(0.231)),
                Observation(field: "switch:0.output", value: .bool(true)),
                Observation(field: "switch:0.temperature.tC", value: .number(41.3)),
                Observation(field: "switch:0.temperature.tF", value: .number(106.3)),
                Observation(field: "switch:0.voltage", value: .number(230.1)),
                Observation(field: "wifi.rssi", value: .number(-67)),
            ])])
    }

    @Test("NotifyEvent (button pushes) gives nothing")
    func notifyEvent() throws {
        #expect(try decode("shellyplusi4-c4d8d5123456/events/rpc", Self.fixture("gen2_events_rpc_notify_event_single_push.json")).isEmpty)
    }

    @Test("events/rpc without method, without params, or with a request method is rejected")
    func rpcRejected() {
        #expect(rejection("x/events/rpc", #"{"params":{}}"#) == "events/rpc payload has no string 'method'")
        #expect(rejection("x/events/rpc", #"{"method":"NotifyStatus"}"#) == "NotifyStatus has no 'params' object")
        #expect(rejection("x/events/rpc", #"{"method":"Switch.Set","params":{"id":0,"on":true}}"#)
            == "events/rpc method 'Switch.Set' is not a notification (expected NotifyStatus, NotifyFullStatus or NotifyEvent)")
    }

    // MARK: - Availability

    @Test("Gen2 online true and LWT false give the status")
    func gen2Online() throws {
        #expect(try decode("\(Self.plus1pm)/online", Self.fixture("gen2_online_true.txt")) == [DecodedMessage(deviceID: Self.plus1pm, status: .online)])
        #expect(try decode("\(Self.plus1pm)/online", Self.fixture("gen2_online_false_lwt.txt")) == [DecodedMessage(deviceID: Self.plus1pm, status: .offline)])
    }

    @Test("an online payload other than true/false is rejected")
    func onlineRejected() {
        #expect(rejection("\(Self.plus1pm)/online", "yes") == "online payload 'yes' is neither true nor false")
    }

    // MARK: - Gen1

    @Test("documented Gen1 examples: relay state, power, energy in watt-minutes, temperature, online")
    func gen1Documented() throws {
        let examples = try Self.gen1Examples()
        try #require(examples.count == 5)
        let device = "shelly1pm-8CAAB5056D9C"
        let decoded = try examples.map { example in try decode(example.topic, example.payload) }
        #expect(decoded == [
            [DecodedMessage(deviceID: device, observations: [Observation(field: "relay.0", value: .string("on"))])],
            [DecodedMessage(deviceID: device, observations: [Observation(field: "relay.0.power", value: .number(101.123))])],
            [DecodedMessage(deviceID: device, observations: [Observation(field: "relay.0.energy", value: .number(50), unit: "Wmin")])],
            [DecodedMessage(deviceID: device, observations: [Observation(field: "temperature", value: .number(50))])],
            [DecodedMessage(deviceID: device, status: .online)],
        ])
    }

    @Test("Gen1 3EM meter: energy in watt-minutes, total in Wh left to the profile")
    func gen1Meter() throws {
        let device = "shellyem3-485519D6A1B2"
        #expect(try decode("shellies/\(device)/emeter/0/energy", "123456")
            == [DecodedMessage(deviceID: device, observations: [Observation(field: "emeter.0.energy", value: .number(123_456), unit: "Wmin")])])
        #expect(try decode("shellies/\(device)/emeter/0/total", "2057.6")
            == [DecodedMessage(deviceID: device, observations: [Observation(field: "emeter.0.total", value: .number(2057.6))])])
        #expect(try decode("shellies/shellyht-6A4F21/sensor/temperature", "21.75")
            == [DecodedMessage(deviceID: "shellyht-6A4F21", observations: [Observation(field: "sensor.temperature", value: .number(21.75))])])
    }

    @Test("Gen1 JSON status topics are flattened under their path")
    func gen1JSONStatus() throws {
        #expect(try decode("shellies/shellydimmer2-E8DB84AABBCC/light/0/status", #"{"ison":true,"brightness":60}"#)
            == [DecodedMessage(deviceID: "shellydimmer2-E8DB84AABBCC", observations: [
                Observation(field: "light.0.status.brightness", value: .number(60)),
                Observation(field: "light.0.status.ison", value: .bool(true)),
            ])])
    }

    @Test("Gen1 announcements, info, commands and input events give nothing")
    func gen1Ignored() throws {
        #expect(try decode("shellies/announce", #"{"id":"shelly1pm-8CAAB5056D9C"}"#).isEmpty)
        #expect(try decode("shellies/shelly1pm-8CAAB5056D9C/announce", #"{"id":"shelly1pm-8CAAB5056D9C","fw_ver":"1.14.0"}"#).isEmpty)
        #expect(try decode("shellies/shelly1pm-8CAAB5056D9C/info", #"{"relays":[{"ison":true}]}"#).isEmpty)
        #expect(try decode("shellies/shelly1pm-8CAAB5056D9C/relay/0/command", "off").isEmpty)
        #expect(try decode("shellies/shellyi3-A1B2C3/input_event/0", #"{"event":"S","event_cnt":3}"#).isEmpty)
    }

    // MARK: - Other topics

    @Test("requests to the device and an empty payload give nothing")
    func ignored() throws {
        #expect(try decode("\(Self.plus1pm)/rpc", #"{"id":1,"method":"Switch.Set"}"#).isEmpty)
        #expect(try decode("\(Self.plus1pm)/status/switch:0", "").isEmpty)
    }

    @Test("topics outside the Shelly layouts and malformed statuses are rejected")
    func rejected() {
        #expect(rejection("capteur", "1")
            == "topic 'capteur' is not a Shelly topic (expected {prefix}/status/{component}, {prefix}/events/rpc, {prefix}/status, {prefix}/online or shellies/{id}/…)")
        #expect(rejection("x/status", "[1]") == "status payload must be a JSON object of components, got an array")
        #expect(rejection("x/status/switch:0", "[1]") == "status/switch:0 payload must be a JSON object, got an array")
        #expect(rejection("/status/switch:0", "{}") == "topic '/status/switch:0' has an empty level in the device prefix")
        #expect(rejection("shellies/x", "1") == "topic 'shellies/x' has no device id and value after shellies/")
        #expect(rejection("x/status/switch:0", #"{"apower":1"#) == "invalid JSON at byte 11: unexpected end of data in object (truncated?)")
    }

    // MARK: - Robustness

    @Test("every prefix of every fixture and arbitrary bytes decode or throw, never crash")
    func neverCrashes() throws {
        var random = NoiseGenerator(seed: 13)
        let topics = ["a/status/switch:0", "a/events/rpc", "a/status", "a/online", "shellies/a/relay/0/power", "shellies/a/online",
                      "shellies", "status/x", "/", "", "shellies//"]
        try Self.forEachFixturePrefix { payload in
            for topic in topics { _ = try? decode(topic, payload) }
        }
        for _ in 0..<500 {
            let bytes = random.nextBytes(countBelow: 40)
            for topic in topics { _ = try? decode(topic, bytes) }
        }
    }
}
