import Foundation
import Testing
@testable import Ingest

@Suite("Tasmota decoder")
struct TasmotaDecoderTests: FixtureDecoderTestSuite {
    static let decoder = TasmotaDecoder()
    static let fixtureFolder = "tasmota"
    static let emoncms = ["full_topic": "emoncms/ch2i/factory/%topic%/%prefix%/"]

    func single(_ messages: [DecodedMessage]) throws -> DecodedMessage {
        try #require(messages.count == 1)
        return messages[0]
    }

    // MARK: - tele/SENSOR

    @Test("DS18B20: local Time in the commune's zone, temperature in °C, TempUnit not a reading")
    func ds18b20() throws {
        let messages = try decode("tele/chaufferie/SENSOR", Self.fixture("tele_SENSOR_ds18b20.json"))
        // 2021-01-13T23:58:41 in Paris (UTC+1) = 22:58:41Z
        #expect(messages == [DecodedMessage(deviceID: "chaufferie", time: 1_610_578_721_000, observations: [
            Observation(field: "DS18B20.Id", value: .string("030597946B04")),
            Observation(field: "DS18B20.Temperature", value: .number(20.9), unit: "°C"),
        ])])
    }

    @Test("Sonoff POW R2 energy: every ENERGY member flattened with its dotted path")
    func energy() throws {
        let messages = try decode("tele/pow-atelier/SENSOR", Self.fixture("tele_SENSOR_energy_sonoff_pow_r2.json"))
        // 2018-02-15T17:37:10 in Paris (UTC+1)
        #expect(messages == [DecodedMessage(deviceID: "pow-atelier", time: 1_518_712_630_000, observations: [
            Observation(field: "ENERGY.ApparentPower", value: .number(2650)),
            Observation(field: "ENERGY.Current", value: .number(11.661)),
            Observation(field: "ENERGY.Factor", value: .number(0.99)),
            Observation(field: "ENERGY.Period", value: .number(217)),
            Observation(field: "ENERGY.Power", value: .number(2635)),
            Observation(field: "ENERGY.ReactivePower", value: .number(282)),
            Observation(field: "ENERGY.Today", value: .number(0.954)),
            Observation(field: "ENERGY.Total", value: .number(6.294)),
            Observation(field: "ENERGY.TotalStartTime", value: .string("2018-11-14T18:39:40")),
            Observation(field: "ENERGY.Voltage", value: .number(227)),
            Observation(field: "ENERGY.Yesterday", value: .number(5.340)),
        ])])
    }

    @Test("SCD40 CO2 in summer time: dew point and temperature get °C, CO2 and humidity no unit")
    func scd40() throws {
        let messages = try decode("tele/ecole-co2/SENSOR", Self.fixture("tele_SENSOR_scd40_co2.json"))
        // 2023-05-28T20:04:27 in Paris (UTC+2)
        #expect(messages == [DecodedMessage(deviceID: "ecole-co2", time: 1_685_297_067_000, observations: [
            Observation(field: "SCD40.CarbonDioxide", value: .number(618)),
            Observation(field: "SCD40.DewPoint", value: .number(15.8), unit: "°C"),
            Observation(field: "SCD40.Humidity", value: .number(61.1)),
            Observation(field: "SCD40.Temperature", value: .number(23.8), unit: "°C"),
            Observation(field: "SCD40.eCO2", value: .number(623)),
        ])])
    }

    @Test("TempUnit F puts °F on every probe's temperature")
    func fahrenheit() throws {
        let messages = try decode("tele/serre/SENSOR", Self.fixture("tele_SENSOR_ds18b20_fahrenheit_two_probes.json"))
        // 2024-01-15T07:30:00 in Paris (UTC+1)
        #expect(messages == [DecodedMessage(deviceID: "serre", time: 1_705_300_200_000, observations: [
            Observation(field: "DS18B20-1.Id", value: .string("3C01D607AB12")),
            Observation(field: "DS18B20-1.Temperature", value: .number(68.5), unit: "°F"),
            Observation(field: "DS18B20-2.Id", value: .string("3C01D607CD34")),
            Observation(field: "DS18B20-2.Temperature", value: .number(70.2), unit: "°F"),
        ])])
    }

    @Test("epoch Time and PressureUnit: pressures in hPa, temperatures in °C")
    func epochTimeAndPressure() throws {
        let messages = try decode("tele/station/SENSOR", Self.fixture("tele_SENSOR_bme280_epoch_time_pressure_unit.json"))
        #expect(messages == [DecodedMessage(deviceID: "station", time: 1_718_000_000_000, observations: [
            Observation(field: "BME280.DewPoint", value: .number(9.7), unit: "°C"),
            Observation(field: "BME280.Humidity", value: .number(45)),
            Observation(field: "BME280.Pressure", value: .number(1013.2), unit: "hPa"),
            Observation(field: "BME280.SeaPressure", value: .number(1020.9), unit: "hPa"),
            Observation(field: "BME280.Temperature", value: .number(22.1), unit: "°C"),
        ])])
    }

    @Test("a clock that never synchronised (1970) gives the receive time")
    func unsynchronisedClock() throws {
        let message = try single(decode("tele/cave/SENSOR", Self.fixture("tele_SENSOR_unsynced_clock_1970.json")))
        #expect(message.time == nil)
        #expect(message.observations.count == 3)
    }

    @Test("a string switch state stays the string ON")
    func switchState() throws {
        let messages = try decode("tele/portail/SENSOR", Self.fixture("tele_SENSOR_switch1_string_state.json"))
        // 2021-01-01T00:00:00 in Paris (UTC+1)
        #expect(messages == [DecodedMessage(deviceID: "portail", time: 1_609_455_600_000, observations: [
            Observation(field: "Switch1", value: .string("ON")),
        ])])
    }

    // MARK: - Teleinfo (Linky)

    @Test("Linky historique under a custom FullTopic: device from %topic%, TIC, ENERGY and ESP32 flattened")
    func linkyCustomFullTopic() throws {
        let message = try single(decode("emoncms/ch2i/factory/denky_D6C0C0/tele/SENSOR",
                                        Self.fixture("tele_SENSOR_teleinfo_linky_historique_1.json"), options: Self.emoncms))
        #expect(message.deviceID == "denky_D6C0C0")
        // 2021-10-26T17:28:45 in Paris (UTC+2)
        #expect(message.time == 1_635_262_125_000)
        #expect(message.observations.count == 20)  // ENERGY 8, TIC 11, ESP32 1
        let byField = Dictionary(uniqueKeysWithValues: message.observations.map { ($0.field, $0) })
        #expect(byField["ENERGY.Total"] == Observation(field: "ENERGY.Total", value: .number(9098.245)))
        #expect(byField["TIC.ADCO"] == Observation(field: "TIC.ADCO", value: .string("021528603314")))
        #expect(byField["TIC.PTEC"] == Observation(field: "TIC.PTEC", value: .string("HP..")))
        #expect(byField["TIC.HCHP"] == Observation(field: "TIC.HCHP", value: .number(2_275_560)))
        #expect(byField["ESP32.Temperature"] == Observation(field: "ESP32.Temperature", value: .number(36.1), unit: "°C"))
        #expect(byField["TempUnit"] == nil)
        #expect(byField["Time"] == nil)
    }

    @Test("the next Linky message moves the counters")
    func linkySecondMessage() throws {
        let message = try single(decode("emoncms/ch2i/factory/denky_D6C0C0/tele/SENSOR",
                                        Self.fixture("tele_SENSOR_teleinfo_linky_historique_2.json"), options: Self.emoncms))
        #expect(message.time == 1_635_262_425_000)  // five minutes later
        #expect(message.observations.first { $0.field == "TIC.HCHP" }?.value == .number(2_275_570))
        #expect(message.observations.first { $0.field == "ENERGY.Period" }?.value == .number(10))
    }

    @Test("Linky standard mode: zero-padded numeric strings stay strings for the normaliser")
    func linkyStandardStrings() throws {
        let message = try single(decode("tele/linky-mairie/SENSOR", Self.fixture("tele_SENSOR_linky_standard_numeric_strings.json")))
        #expect(message.time == 1_705_300_200_000)
        #expect(message.observations.count == 14)
        #expect(message.observations.first { $0.field == "TIC.EAST" } == Observation(field: "TIC.EAST", value: .string("012345678")))
        #expect(message.observations.first { $0.field == "TIC.SINSTS" } == Observation(field: "TIC.SINSTS", value: .string("00702")))
        #expect(message.observations.first { $0.field == "TIC.NGTF" }?.value == .string("     TEMPO      "))
    }

    @Test("Teleinfo 'changed only' and raw messages without Time are fine and use the receive time")
    func teleinfoPartial() throws {
        #expect(try decode("tele/linky/SENSOR", Self.fixture("tele_SENSOR_teleinfo_changed_only.json"))
            == [DecodedMessage(deviceID: "linky", time: nil, observations: [Observation(field: "TIC.PAPP", value: .number(160))])])
        let raw = try single(decode("tele/linky/SENSOR", Self.fixture("tele_SENSOR_teleinfo_raw_full_no_time.json")))
        #expect(raw.time == nil)
        #expect(raw.observations.count == 11)
        #expect(raw.observations.first { $0.field == "TIC.OPTARIF" }?.value == .string("HC.."))
    }

    // MARK: - tele/STATE

    @Test("STATE keeps POWER, Vcc, LoadAvg, Heap and Wi-Fi RSSI; drops uptime strings and settings")
    func stateVcc() throws {
        let messages = try decode("tele/pompe/STATE", Self.fixture("tele_STATE_adc_vcc.json"))
        // 2019-10-31T11:14:59 in Paris (UTC+1)
        #expect(messages == [DecodedMessage(deviceID: "pompe", time: 1_572_516_899_000, observations: [
            Observation(field: "Heap", value: .number(28)),
            Observation(field: "LoadAvg", value: .number(19)),
            Observation(field: "POWER", value: .string("OFF")),
            Observation(field: "Vcc", value: .number(3.423)),
            Observation(field: "Wifi.RSSI", value: .number(100)),
        ])])
    }

    @Test("deep-sleep STATE: the UTC Epoch is the time")
    func stateEpoch() throws {
        let messages = try decode("tele/ruche/STATE", Self.fixture("tele_STATE_deepsleep_epoch.json"))
        #expect(messages == [DecodedMessage(deviceID: "ruche", time: 1_567_595_328_000, observations: [
            Observation(field: "Heap", value: .number(24)),
            Observation(field: "LoadAvg", value: .number(20)),
            Observation(field: "Wifi.RSSI", value: .number(100)),
        ])])
    }

    @Test("STATE with an offset in Time, and Wi-Fi signal in dBm")
    func stateOffset() throws {
        let messages = try decode("tele/salle/STATE", Self.fixture("tele_STATE_time_with_offset.json"))
        #expect(messages == [DecodedMessage(deviceID: "salle", time: 1_624_799_024_000, observations: [
            Observation(field: "Heap", value: .number(28)),
            Observation(field: "LoadAvg", value: .number(19)),
            Observation(field: "POWER", value: .string("ON")),
            Observation(field: "Wifi.RSSI", value: .number(86)),
            Observation(field: "Wifi.Signal", value: .number(-57)),
        ])])
    }

    @Test("four-relay STATE keeps POWER1 to POWER4")
    func stateFourRelays() throws {
        let messages = try decode("tele/tableau-eclairage/STATE", Self.fixture("tele_STATE_four_relays.json"))
        // 2024-06-10T14:00:00 in Paris (UTC+2)
        #expect(messages == [DecodedMessage(deviceID: "tableau-eclairage", time: 1_718_020_800_000, observations: [
            Observation(field: "Heap", value: .number(25)),
            Observation(field: "LoadAvg", value: .number(19)),
            Observation(field: "POWER1", value: .string("ON")),
            Observation(field: "POWER2", value: .string("OFF")),
            Observation(field: "POWER3", value: .string("OFF")),
            Observation(field: "POWER4", value: .string("ON")),
            Observation(field: "Wifi.RSSI", value: .number(62)),
            Observation(field: "Wifi.Signal", value: .number(-69)),
        ])])
    }

    // MARK: - LWT

    @Test("LWT Online and Offline, any case, give the status")
    func lastWill() throws {
        #expect(try decode("tele/pompe/LWT", Self.fixture("tele_LWT_online.txt")) == [DecodedMessage(deviceID: "pompe", status: .online)])
        #expect(try decode("tele/pompe/LWT", Self.fixture("tele_LWT_offline.txt")) == [DecodedMessage(deviceID: "pompe", status: .offline)])
        #expect(try decode("tele/pompe/LWT", "online") == [DecodedMessage(deviceID: "pompe", status: .online)])
    }

    @Test("an unknown LWT word is rejected")
    func lastWillRejected() {
        #expect(rejection("tele/pompe/LWT", "Dead") == "tele/LWT payload 'Dead' is neither Online nor Offline")
    }

    // MARK: - stat

    @Test("stat/POWER plain ON and stat/POWER2 OFF are POWER observations")
    func statPower() throws {
        #expect(try decode("stat/prise/POWER", Self.fixture("stat_POWER_plain.txt"))
            == [DecodedMessage(deviceID: "prise", observations: [Observation(field: "POWER", value: .string("ON"))])])
        #expect(try decode("stat/relais/POWER2", "OFF")
            == [DecodedMessage(deviceID: "relais", observations: [Observation(field: "POWER2", value: .string("OFF"))])])
    }

    @Test("stat/RESULT is flattened")
    func statResult() throws {
        #expect(try decode("stat/prise/RESULT", Self.fixture("stat_RESULT_power.json"))
            == [DecodedMessage(deviceID: "prise", observations: [Observation(field: "POWER", value: .string("ON"))])])
    }

    @Test("STATUS8 flattens StatusSNS like SENSOR, without the StatusSNS prefix")
    func status8() throws {
        let message = try single(decode("stat/pow-atelier/STATUS8", Self.fixture("stat_STATUS8_energy_sonoff_pow_r2.json")))
        // 2018-11-15T08:54:18 in Paris (UTC+1)
        #expect(message.time == 1_542_268_458_000)
        #expect(message.observations.count == 10)
        #expect(message.observations.first { $0.field == "ENERGY.Total" }?.value == .number(6.404))
        #expect(message.observations.first { $0.field == "ENERGY.Current" }?.value == .number(11.677))
    }

    @Test("STATUS10 flattens StatusSNS with its TempUnit")
    func status10() throws {
        let messages = try decode("stat/bureau/STATUS10", Self.fixture("stat_STATUS10_si7021.json"))
        #expect(messages == [DecodedMessage(deviceID: "bureau", time: 1_706_778_000_000, observations: [
            Observation(field: "SI7021.DewPoint", value: .number(8.3), unit: "°C"),
            Observation(field: "SI7021.Humidity", value: .number(48)),
            Observation(field: "SI7021.Temperature", value: .number(19.5), unit: "°C"),
        ])])
    }

    @Test("STATUS11 reads StatusSTS like STATE")
    func status11() throws {
        let messages = try decode("stat/bureau/STATUS11", Self.fixture("stat_STATUS11_state.json"))
        #expect(messages == [DecodedMessage(deviceID: "bureau", time: 1_718_020_800_000, observations: [
            Observation(field: "Heap", value: .number(25)),
            Observation(field: "LoadAvg", value: .number(19)),
            Observation(field: "POWER", value: .string("ON")),
            Observation(field: "Wifi.RSSI", value: .number(62)),
            Observation(field: "Wifi.Signal", value: .number(-69)),
        ])])
    }

    @Test("STATUS0 combines StatusSNS and StatusSTS, the sensors' time first")
    func status0() throws {
        let payload = #"{"Status":{"Module":1,"Topic":"bureau"},"StatusSNS":{"Time":"2024-02-01T10:00:00","AM2301":{"Temperature":19.5},"#
            + #""TempUnit":"C"},"StatusSTS":{"Time":"2024-02-01T10:00:01","POWER":"OFF","Wifi":{"RSSI":70}}}"#
        #expect(try decode("stat/bureau/STATUS0", payload) == [DecodedMessage(deviceID: "bureau", time: 1_706_778_000_000, observations: [
            Observation(field: "AM2301.Temperature", value: .number(19.5), unit: "°C"),
            Observation(field: "POWER", value: .string("OFF")),
            Observation(field: "Wifi.RSSI", value: .number(70)),
        ])])
    }

    @Test("firmware STATUS replies and INFO messages carry no reading")
    func informationIgnored() throws {
        #expect(try decode("stat/bureau/STATUS2", Self.fixture("stat_STATUS2_firmware.json")).isEmpty)
        #expect(try decode("tele/bureau/INFO1", Self.fixture("tele_INFO1_boot.json")).isEmpty)
    }

    @Test("STATUS8 without StatusSNS is rejected")
    func status8WithoutSensors() throws {
        #expect(rejection("stat/bureau/STATUS8", #"{"StatusFWR":{"Version":"13.2.0"}}"#) == "stat/STATUS8 payload has no StatusSNS object")
    }

    // MARK: - Topics

    @Test("commands under cmnd give nothing")
    func commandsIgnored() throws {
        #expect(try decode("cmnd/prise/POWER", "TOGGLE").isEmpty)
    }

    @Test("an empty payload (retained message cleared) gives nothing")
    func clearedRetained() throws {
        #expect(try decode("tele/pompe/LWT", "").isEmpty)
    }

    @Test("levels between the FullTopic and the kind name a sub-device (Zigbee bridge with SetOption89)")
    func subDevice() throws {
        let message = try single(decode("tele/zbbridge/0x8A9C/SENSOR", #"{"ZbReceived":{"0x8A9C":{"Device":"0x8A9C","Temperature":21.3}}}"#))
        #expect(message.deviceID == "zbbridge/0x8A9C")
        // The ZbReceived wrapper is unwrapped: a Zigbee sensor's fields do not depend on its address.
        #expect(message.observations == [Observation(field: "Temperature", value: .number(21.3))])
    }

    @Test("%hostname% and a token inside a level name the device")
    func otherTokens() throws {
        #expect(try decode("tele/tasmota-4F2A/SENSOR", #"{"A":1}"#, options: ["full_topic": "%prefix%/%hostname%/"]).map(\.deviceID) == ["tasmota-4F2A"])
        #expect(try decode("maison/tele/sonde-cuisine/SENSOR", #"{"A":1}"#, options: ["full_topic": "maison/%prefix%/sonde-%topic%/"]).map(\.deviceID) == ["cuisine"])
    }

    @Test("an unknown tele kind is flattened when it is a JSON object")
    func unknownTeleKind() throws {
        #expect(try decode("tele/rfbridge/RESULT", #"{"RfReceived":{"Sync":12550,"Data":"E5D80E"}}"#).first?.observations.count == 2)
    }

    // MARK: - Rejections

    @Test("payloads that are not JSON objects are rejected with the kind and the parser's offset")
    func notObjects() {
        #expect(rejection("tele/pompe/SENSOR", "hello") == "tele/SENSOR payload: invalid JSON at byte 0: unexpected character 'h'")
        #expect(rejection("tele/pompe/SENSOR", "[1]") == "tele/SENSOR payload must be a JSON object, got an array")
        #expect(rejection("stat/pompe/RESULT", #"{"POWER":"ON""#) == "stat/RESULT payload: invalid JSON at byte 13: unexpected end of data in object (truncated?)")
    }

    @Test("topics that do not fit the FullTopic are rejected with the level at fault")
    func topicMismatch() {
        #expect(rejection("foo/x/SENSOR", "{}") == "topic 'foo/x/SENSOR': prefix 'foo' is none of tele, stat, cmnd")
        #expect(rejection("tele/SENSOR", "{}") == "topic 'tele/SENSOR' is too short for full_topic '%prefix%/%topic%/' (expected 3 levels or more)")
        #expect(rejection("emoncms/other/factory/denky/tele/SENSOR", "{}", options: Self.emoncms)
            == "topic 'emoncms/other/factory/denky/tele/SENSOR' does not match full_topic 'emoncms/ch2i/factory/%topic%/%prefix%/': level 1 is 'other', expected 'ch2i'")
        #expect(rejection("tele//SENSOR", "{}") == "topic 'tele//SENSOR' does not match full_topic '%prefix%/%topic%/': level 1 '' has no %topic%")
    }

    @Test("a malformed full_topic option is rejected naming the option")
    func badFullTopic() {
        // A FullTopic without %prefix% is valid: Tasmota then publishes `teleinfo/SENSOR` (see RealPayloadTests).
        #expect(rejection("teleinfo/SENSOR", #"{"A":1}"#, options: ["full_topic": "%topic%/"]) == nil)
        #expect(rejection("tele/x/SENSOR", "{}", options: ["full_topic": "%prefix%/"]) == "option full_topic '%prefix%/' has no %topic%, %hostname% or %id%")
        #expect(rejection("tele/x/SENSOR", "{}", options: ["full_topic": "%prefix%/%device%/"])
            == "option full_topic '%prefix%/%device%/': unknown token %device% (expected %prefix%, %topic%, %hostname% or %id%)")
    }

    // MARK: - Robustness

    @Test("every prefix of every fixture and arbitrary bytes decode or throw, never crash")
    func neverCrashes() throws {
        var random = NoiseGenerator(seed: 11)
        let topics = ["tele/a/SENSOR", "tele/a/STATE", "tele/a/LWT", "stat/a/POWER", "stat/a/STATUS8", "stat/a/STATUS11", "a", "", "/"]
        try Self.forEachFixturePrefix { payload in
            for topic in topics { _ = try? decode(topic, payload) }
        }
        for _ in 0..<500 {
            let bytes = random.nextBytes(countBelow: 40)
            for topic in topics { _ = try? decode(topic, bytes) }
            _ = try? decode("a/b/c", bytes, options: ["full_topic": String(decoding: bytes, as: UTF8.self)])
        }
    }
}
