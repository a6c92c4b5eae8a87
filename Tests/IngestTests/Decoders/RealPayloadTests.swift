import Foundation
import Testing
@testable import Ingest

/// Messages captured from real installations (sources in `Fixtures/real/README.md`), each checked for what it
/// means: which device, measured when, and which values. Times are computed by hand from the payloads; local
/// Tasmota times are in Europe/Paris.
@Suite("Real captured payloads")
struct RealPayloadTests {
    /// 2027-01-15: after every capture, so that no payload time is "ahead of the receive time".
    static let receivedAt: Int64 = 1_800_000_000_000

    struct Fixture {
        let topic: String
        let payload: [UInt8]
    }

    /// `Fixtures/real/<format>/<name>.<ext>` and the topic it arrived on, `<name>.topic`. Fixture files end with a
    /// newline for the editor's sake; the payload on the wire had none.
    static func fixture(_ path: String) throws -> Fixture {
        let payloadURL = try TestFixtures.url("real/\(path)")
        let topicURL = payloadURL.deletingPathExtension().appendingPathExtension("topic")
        let topic = try String(contentsOf: topicURL, encoding: .utf8).trimmingCharacters(in: .newlines)
        var payload = Array(try Data(contentsOf: payloadURL))
        if payload.last == 0x0A { payload.removeLast() }
        return Fixture(topic: topic, payload: payload)
    }

    func decode(_ decoder: some PayloadDecoder, _ path: String, options: [String: String] = [:]) throws -> [DecodedMessage] {
        let fixture = try Self.fixture(path)
        let context = DecodingContext(timeZone: TimeZone(identifier: "Europe/Paris")!, receivedAt: Self.receivedAt, options: options)
        return try decoder.decode(topic: fixture.topic, payload: fixture.payload, context: context)
    }

    func single(_ decoder: some PayloadDecoder, _ path: String, options: [String: String] = [:]) throws -> DecodedMessage {
        let messages = try decode(decoder, path, options: options)
        try #require(messages.count == 1, "expected one message, got \(messages)")
        return messages[0]
    }

    /// The message's values by field; a field reported twice would hide a value, so it fails the test.
    func fields(_ message: DecodedMessage) -> [String: FieldValue] {
        var fields: [String: FieldValue] = [:]
        for observation in message.observations {
            #expect(fields[observation.field] == nil, "field \(observation.field) reported twice")
            fields[observation.field] = observation.value
        }
        return fields
    }

    /// What the normaliser reads out of a value (a number in a string, a value with its unit, a state word).
    func reading(_ value: FieldValue?, isState: Bool = false) -> ValueCoercion.Coerced? {
        value.flatMap { ValueCoercion.coerce($0, states: [:], isState: isState) }
    }

    // MARK: - ChirpStack v4

    @Test("ChirpStack v4, Dragino LT22222 relay controller: relay and input states stay words, analog inputs are numbers")
    func chirpStackV4RelayController() throws {
        let message = try single(ChirpStackV4Decoder(), "chirpstack-v4/up_dragino_lt22222_relay_strings.json")
        #expect(message.deviceID == "a8404127a188d826")
        #expect(message.time == 1_706_114_821_573)  // 2024-01-24T16:47:01.573381Z
        #expect(fields(message) == [
            "ACI1_mA": .number(0), "ACI2_mA": .number(0), "AVI1_V": .number(0), "AVI2_V": .number(0),
            "DI1_status": .string("H"), "DI2_status": .string("H"), "DO1_status": .string("H"), "DO2_status": .string("H"),
            "Hardware_mode": .string("LT22222"), "RO1_status": .string("OFF"), "RO2_status": .string("OFF"),
            "Work_mode": .string("2ACI+2AVI"),
            "radio.rssi": .number(-54), "radio.snr": .number(8.5), "radio.fcnt": .number(12), "radio.sf": .number(7),
            "radio.gateways": .number(1),
        ])
        #expect(reading(fields(message)["RO1_status"], isState: true)?.value == 0)
    }

    @Test("ChirpStack v4, Dragino door sensor: booleans kept, timed at the uplink and not at the network server's nsTime 42 s later")
    func chirpStackV4DoorSensor() throws {
        let message = try single(ChirpStackV4Decoder(), "chirpstack-v4/up_dragino_door_sensor_booleans_late_ns_time.json")
        #expect(message.deviceID == "a84041263188b787")
        #expect(message.time == 1_724_569_847_758)  // 2024-08-25T07:10:47.758298Z; nsTime is 07:11:29.787
        #expect(fields(message) == [
            "ALARM": .number(0), "BAT_V": .number(3.078), "CONTACT": .bool(true), "LAST_OPEN_DURATION": .number(0),
            "MOD": .number(1), "OPEN": .bool(false), "OPEN_TIMES": .number(3976), "devicetype": .string("Dragino"),
            "radio.rssi": .number(-68), "radio.snr": .number(9.25), "radio.fcnt": .number(8264), "radio.sf": .number(7),
            "radio.gateways": .number(1),
        ])
    }

    @Test("ChirpStack v4, soil sensor whose codec left a debug object: nested fields flattened, negative temperature kept")
    func chirpStackV4SoilSensor() throws {
        let message = try single(ChirpStackV4Decoder(), "chirpstack-v4/up_dragino_soil_nested_codec_debug_object.json")
        #expect(message.deviceID == "a84041f621857cd2")
        #expect(message.time == 1_705_856_496_641)  // 2024-01-21T17:01:36.641008Z
        #expect(fields(message) == [
            "Test.zweite.dritte.a": .number(4), "soilconductivity": .number(0), "soilmoisture": .number(0),
            "soiltemperature": .number(-0.1), "volt": .number(3.318),
            // No `channel` in this reception: ChirpStack omits zero values.
            "radio.rssi": .number(-89), "radio.snr": .number(6.25), "radio.fcnt": .number(2), "radio.sf": .number(7),
            "radio.gateways": .number(1),
        ])
    }

    @Test("ChirpStack v4, MClimate Vicki status: link margin 7 dB and a fractional battery percentage")
    func chirpStackV4Status() throws {
        let message = try single(ChirpStackV4Decoder(), "chirpstack-v4/status_mclimate_vicki_battery_fraction.json")
        #expect(message == DecodedMessage(deviceID: "70b3d52dd300ed31", time: 1_706_300_325_299, observations: [
            Observation(field: "status.margin", value: .number(7)),
            Observation(field: "status.battery_level", value: .number(85.826775)),
        ]))
    }

    @Test("ChirpStack v4, MClimate Vicki join: the device is online, nothing measured")
    func chirpStackV4Join() throws {
        let message = try single(ChirpStackV4Decoder(), "chirpstack-v4/join_mclimate_vicki.json")
        #expect(message == DecodedMessage(deviceID: "70b3d52dd300ed31", time: 1_702_350_801_551, status: .online))
    }

    @Test("ChirpStack v4 ack, txack and codec-error log events carry no reading",
          arguments: ["ack_mclimate_vicki.json", "txack_mclimate_vicki.json", "log_mclimate_vicki_codec_error.json"])
    func chirpStackV4Ignored(_ name: String) throws {
        #expect(try decode(ChirpStackV4Decoder(), "chirpstack-v4/" + name).isEmpty)
    }

    @Test("ChirpStack 4.0 Adeunis field tester: default values omitted (no adr, dr, confirmed), gateway time in rxInfo.time")
    func chirpStackV40FieldTester() throws {
        let message = try single(ChirpStackV4Decoder(), "chirpstack-v4/up_adeunis_ftd_v40_rxinfo_time_no_adr.json")
        #expect(message.deviceID == "0018b200000262b0")
        #expect(message.time == 1_675_325_081_586)  // 2023-02-02T08:04:41.586413Z
        #expect(fields(message) == [
            "altitude": .number(0), "battery": .number(3507), "downlink": .number(171), "latitude": .number(45.7465),
            "longitude": .number(4.834333333333333), "sats": .number(6), "temperature": .number(20), "uplink": .number(238),
            "radio.rssi": .number(-115), "radio.snr": .number(-0.25), "radio.fcnt": .number(238), "radio.sf": .number(12),
            "radio.gateways": .number(1),
        ])
    }

    @Test("ChirpStack v4 through two Helium hotspots, no codec: only radio metadata, from the stronger hotspot")
    func chirpStackV4HeliumNoCodec() throws {
        let message = try single(ChirpStackV4Decoder(), "chirpstack-v4/up_helium_two_hotspots_no_codec.json")
        #expect(message == DecodedMessage(deviceID: "6081f9dde602cd71", time: 1_685_389_810_000, observations: [
            Observation(field: "radio.rssi", value: .number(-22)),
            Observation(field: "radio.snr", value: .number(8)),
            Observation(field: "radio.fcnt", value: .number(22772)),
            Observation(field: "radio.sf", value: .number(9)),
            Observation(field: "radio.gateways", value: .number(2)),
        ]))
    }

    // MARK: - ChirpStack v3

    @Test("ChirpStack v3 protobuf-JSON, five gateways, two without time: base64 DevEUI, objectJSON, strongest gateway's radio")
    func chirpStackV3FiveGateways() throws {
        let message = try single(ChirpStackV3Decoder(), "chirpstack-v3/up_adeunis_ftd_five_gateways_null_times.json")
        #expect(message.deviceID == "0018b20000002265")  // "ABiyAAAAImU="
        #expect(message.time == 1_618_922_465_733)  // first gateway's 2021-04-20T12:41:05.733901733Z
        #expect(fields(message) == [
            // The tester's own view of the downlink (rssi, snr) is a reading like any other; the gateways' is radio.*.
            "altitude": .number(0), "battery": .number(3977), "downlink": .number(3), "latitude": .number(45.72758333333333),
            "longitude": .number(4.7915), "rssi": .number(-54), "sats": .number(5), "snr": .number(6),
            "temperature": .number(37), "trigger": .string("pushbutton"), "uplink": .number(4),
            "radio.rssi": .number(-50), "radio.snr": .number(10.25), "radio.fcnt": .number(5), "radio.sf": .number(7),
            "radio.gateways": .number(5),
        ])
    }

    @Test("ChirpStack v3, Dragino LDDS75 distance sensor: gateway time wins over publishedAt")
    func chirpStackV3DistanceSensor() throws {
        let message = try single(ChirpStackV3Decoder(), "chirpstack-v3/up_dragino_ldds75_published_at.json")
        #expect(message.deviceID == "a840414d6182e088")
        #expect(message.time == 1_629_029_201_391)  // 2021-08-15T12:06:41.391514Z (published at .521)
        #expect(fields(message) == [
            "Bat": .number(3.336), "Distance": .number(249), "Interrupt_status": .number(0),
            "radio.rssi": .number(-56), "radio.snr": .number(9.5), "radio.fcnt": .number(33), "radio.sf": .number(12),
            "radio.gateways": .number(1),
        ])
    }

    @Test("ChirpStack v3, Cicicom parking sensor: a codec returning signed numbers as strings, first frame fCnt 0")
    func chirpStackV3NumbersAsStrings() throws {
        let message = try single(ChirpStackV3Decoder(), "chirpstack-v3/up_cicicom_signed_number_strings_fcnt0.json")
        #expect(message.deviceID == "0004a30b00e9a483")
        #expect(message.time == 1_641_989_294_033)  // 2022-01-12T12:08:14.033496Z
        let values = fields(message)
        #expect(values == [
            "batteryVoltage": .string("3.30"), "carStatus": .number(0), "temperature": .string("+27.0"),
            "radio.rssi": .number(-118), "radio.snr": .number(-8), "radio.fcnt": .number(0), "radio.sf": .number(12),
            "radio.gateways": .number(1),
        ])
        #expect(reading(values["temperature"])?.value == 27)
        #expect(reading(values["batteryVoltage"])?.value == 3.3)
    }

    // MARK: - The Things Stack

    @Test("TTS, Lobaro Modbus bridge: null values from the formatter are absent, not zero")
    func thingsStackNullValues() throws {
        let message = try single(ThingsStackV3Decoder(), "tts-v3/up_lobaro_modbus_null_values.json")
        #expect(message.deviceID == "70b3d5e050013950")
        #expect(message.time == 1_705_907_185_054)  // uplink_message.received_at 2024-01-22T07:06:25.054442349Z
        #expect(fields(message) == [
            "airhumidity": .number(50.9), "airtemperature": .number(19.9), "port": .number(20), "relais1": .number(0),
            "relais2": .number(1), "volt": .number(3.649), "zisternenpegel": .number(2),
            "radio.rssi": .number(-37), "radio.snr": .number(8.5), "radio.fcnt": .number(2), "radio.sf": .number(9),
            "radio.gateways": .number(1),
        ])
    }

    @Test("TTS, Netvox light sensor heard by three gateways (one with GPS time): best reception at -29 dBm")
    func thingsStackThreeGateways() throws {
        let message = try single(ThingsStackV3Decoder(), "tts-v3/up_netvox_lux_three_gateways_gps_time.json")
        #expect(message.deviceID == "00137a1000044df5")
        #expect(message.time == 1_732_624_760_785)  // 2024-11-26T12:39:20.785204683Z
        #expect(fields(message) == [
            "BatV": .number(3.6), "Illuminance": .number(258),
            "radio.rssi": .number(-29), "radio.snr": .number(14), "radio.fcnt": .number(107), "radio.sf": .number(7),
            "radio.gateways": .number(3),
        ])
    }

    @Test("TTS downlink acknowledgement carries no reading")
    func thingsStackDownlinkAck() throws {
        #expect(try decode(ThingsStackV3Decoder(), "tts-v3/down_ack_dragino.json").isEmpty)
    }

    @Test("TTS, Dragino LSE01 soil sensor: values with units in strings, frame counter 0 omitted by TTS")
    func thingsStackUnitStrings() throws {
        let message = try single(ThingsStackV3Decoder(), "tts-v3/up_dragino_lse01_unit_strings_fcnt_omitted.json")
        #expect(message.deviceID == "a8404194a1875ff3")
        #expect(message.time == 1_687_271_672_656)  // 2023-06-20T14:34:32.656299995Z
        let values = fields(message)
        #expect(values == [
            "Bat": .string("3.384 V"), "TempC_DS18B20": .string("0.00 °C"), "conduct_SOIL": .string("0 uS/cm"),
            "temp_SOIL": .string("30.11 °C"), "water_SOIL": .string("0.00 %"),
            "radio.rssi": .number(-42), "radio.snr": .number(5.8), "radio.fcnt": .number(0), "radio.sf": .number(12),
            "radio.gateways": .number(1),
        ])
        #expect(reading(values["temp_SOIL"]) == ValueCoercion.Coerced(value: 30.11, unit: "°C"))
        #expect(reading(values["Bat"]) == ValueCoercion.Coerced(value: 3.384, unit: "V"))
    }

    @Test("TTS, Dragino LGT-92 without a payload formatter: alive, radio metadata only")
    func thingsStackNoFormatter() throws {
        let message = try single(ThingsStackV3Decoder(), "tts-v3/up_dragino_lgt92_no_formatter.json")
        #expect(message == DecodedMessage(deviceID: "a840410001819394", time: 1_687_345_069_940, observations: [
            Observation(field: "radio.rssi", value: .number(-66)),
            Observation(field: "radio.snr", value: .number(8.8)),
            Observation(field: "radio.fcnt", value: .number(1)),
            Observation(field: "radio.sf", value: .number(12)),
            Observation(field: "radio.gateways", value: .number(1)),
        ]))
    }

    // MARK: - Zigbee2MQTT

    @Test("Zigbee2MQTT, Aqara weather sensor with a spaced friendly name: pressure and power outage count, no time")
    func zigbeeWeatherSensor() throws {
        let message = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/aqara_weather_pressure_power_outage_count.json")
        #expect(message.deviceID == "Temperatur Wohnung")
        #expect(message.time == nil)
        #expect(fields(message) == [
            "battery": .number(97), "humidity": .number(45.07), "linkquality": .number(224),
            "power_outage_count": .number(805), "pressure": .number(997.2), "temperature": .number(21.58),
            "voltage": .number(2995),
        ])
    }

    @Test("Zigbee2MQTT plug and IKEA remote: the firmware update subtree and a null identify are not readings")
    func zigbeeUpdateSubtree() throws {
        let plug = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/plug_state_with_update_subtree.json")
        #expect(plug.deviceID == "Dashboard-Tablet")
        #expect(fields(plug) == ["linkquality": .number(212), "state": .string("ON")])
        let remote = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/tradfri_remote_identify_null.json")
        #expect(remote.deviceID == "Tradfri")
        #expect(fields(remote) == ["battery": .number(100), "linkquality": .number(216)])
    }

    @Test("Zigbee2MQTT, Aqara window sensor: contact true means closed")
    func zigbeeWindowSensor() throws {
        let message = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/aqara_window_contact.json")
        #expect(message.deviceID == "Aqara WindowSensorHome")
        #expect(fields(message) == [
            "battery": .number(100), "contact": .bool(true), "device_temperature": .number(27), "linkquality": .number(212),
            "power_outage_count": .number(10), "trigger_count": .number(0), "voltage": .number(3095),
        ])
    }

    @Test("Zigbee2MQTT, Tuya TS0601 radar: last_seen (ISO, UTC) is the time, a null target distance is absent")
    func zigbeeTuyaPresence() throws {
        let message = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/tuya_ts0601_presence_null_target_distance.json")
        #expect(message.deviceID == "0xa4c1382a6b329e9d")
        #expect(message.time == 1_725_724_481_147)  // 2024-09-07T15:54:41.147Z
        #expect(fields(message) == [
            "detection_delay": .number(0.1), "fading_time": .number(30), "illuminance_lux": .number(369),
            "linkquality": .number(98), "maximum_range": .number(6), "minimum_range": .number(0.3),
            "presence": .bool(true), "radar_sensitivity": .number(2),
        ])
    }

    @Test("Zigbee2MQTT on base topic slzb06: device information and eight nulls left out, twelve values kept")
    func zigbeeCustomBaseTopic() throws {
        let path = "zigbee2mqtt/tuya_ts0601_presence_relay_device_info_custom_base.json"
        let message = try single(Zigbee2MQTTDecoder(), path, options: ["base_topic": "slzb06"])
        #expect(message.deviceID == "0x385cfbfffea15480")
        #expect(message.time == 1_690_393_458_626)  // 2023-07-26T17:44:18.626Z
        #expect(fields(message) == [
            "block_time": .number(3.9), "departure_delay": .number(60), "detection_range": .number(5.5),
            "entry_distance_indentation": .number(0.6), "entry_filter_time": .number(5.5), "entry_sensitivity": .number(4),
            "illumin_threshold": .number(174.7), "linkquality": .number(142), "parameter_setting_result": .number(0),
            "radar_sensitivity": .number(4), "shield_range": .number(0.6), "target_distance": .number(1.21),
        ])
        #expect(throws: DecodeError("topic 'slzb06/0x385cfbfffea15480' is not under the base topic 'zigbee2mqtt' (option base_topic)")) {
            try decode(Zigbee2MQTTDecoder(), path)
        }
    }

    @Test("Zigbee2MQTT, 2020 Tuya valve: setpoint and temperature as strings, weekly schedule arrays indexed")
    func zigbeeTuyaValve() throws {
        let message = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/tuya_trv_2020_numbers_as_strings_schedule_arrays.json")
        #expect(message.deviceID == "0x842e14fffef6ea3e")
        let values = fields(message)
        #expect(values.count == 56)  // 17 scalars, 2 × 6 schedule slots × 3, 3 window-detection parameters
        #expect(values["local_temperature"] == .string("28.0"))
        #expect(values["current_heating_setpoint"] == .string("20.0"))
        #expect(values["workdays.4.temperature"] == .number(20))
        #expect(values["workdays.4.hour"] == .number(17))
        #expect(values["window_detection_params.valve"] == .string("OFF"))
        #expect(reading(values["local_temperature"])?.value == 28)
    }

    @Test("Zigbee2MQTT, 2025 valve: string away temperature, schedule text, nulls and update info left out")
    func zigbeeValve2025() throws {
        let message = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/trv_2025_setpoint_string_schedule.json")
        #expect(message.deviceID == "Thermostat Buero")
        let values = fields(message)
        #expect(values.count == 21)
        #expect(values["local_temperature"] == .number(21.5))
        #expect(values["internal_heating_setpoint"] == .number(19.5))
        #expect(values["away_preset_temperature"] == .string("5.0"))
        #expect(values["schedule_settings"] == .string("mon,sun|0:00,21.0|12:00,17.0|18:00,21.0|23:59,21.0"))
        #expect(values["calibrate"] == nil && values["external_temperature_input"] == nil)
        #expect(!values.keys.contains { $0.hasPrefix("update") })
    }

    @Test("Zigbee2MQTT, Aqara motion sensors: occupancy, illuminance, and null update fields left out")
    func zigbeeMotionSensors() throws {
        let p1 = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/aqara_rtcgq12lm_update_state_null.json")
        #expect(p1.deviceID == "0x04cf8cdf3c8a82e0")
        #expect(fields(p1) == [
            "battery": .number(100), "detection_interval": .number(2), "linkquality": .number(152),
            "motion_sensitivity": .string("high"), "occupancy": .bool(true), "state": .string("OFF"),
            "temperature": .number(25), "voltage": .number(3123),
        ])
        let old = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/aqara_rtcgq11lm_motion_2020.json")
        #expect(old.deviceID == "0x00158d00045193ca")
        #expect(fields(old) == [
            "battery": .number(100), "illuminance": .number(87), "illuminance_lux": .number(87),
            "linkquality": .number(86), "occupancy": .bool(false), "voltage": .number(3025),
        ])
    }

    @Test("Zigbee2MQTT, Sonoff SNZB-02 (2020 firmware, keys unsorted): temperature, humidity, battery")
    func zigbeeSonoffTemperature() throws {
        let message = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/sonoff_snzb02_2020.json")
        #expect(message == DecodedMessage(deviceID: "sensor1", observations: [
            Observation(field: "battery", value: .number(80)),
            Observation(field: "humidity", value: .number(61.49)),
            Observation(field: "linkquality", value: .number(84)),
            Observation(field: "temperature", value: .number(26.05)),
            Observation(field: "voltage", value: .number(2900)),
        ]))
    }

    @Test("Zigbee2MQTT before 2.0: plain 'online' availability; the bridge's own state is not a device")
    func zigbeeLegacyAvailability() throws {
        let message = try single(Zigbee2MQTTDecoder(), "zigbee2mqtt/availability_legacy_online.txt")
        #expect(message == DecodedMessage(deviceID: "0x00124b0024cc4547", status: .online))
        #expect(try decode(Zigbee2MQTTDecoder(), "zigbee2mqtt/bridge_state_legacy_online.txt").isEmpty)
    }

    // MARK: - Tasmota

    @Test("Tasmota weather station: DS18B20, BME280 and BH1750, temperatures in °C and pressure in hPa as declared")
    func tasmotaWeatherStation() throws {
        let message = try single(TasmotaDecoder(), "tasmota/tele_SENSOR_ds18b20_bme280_bh1750.json")
        #expect(message == DecodedMessage(deviceID: "Wetterstation2023", time: 1_692_522_587_000, observations: [
            // 2023-08-20T11:09:47 Paris summer time = 09:09:47Z
            Observation(field: "BH1750.Illuminance", value: .number(171)),
            Observation(field: "BME280.DewPoint", value: .number(17.8), unit: "°C"),
            Observation(field: "BME280.Humidity", value: .number(54.5)),
            Observation(field: "BME280.Pressure", value: .number(1018), unit: "hPa"),
            Observation(field: "BME280.Temperature", value: .number(27.8), unit: "°C"),
            Observation(field: "DS18B20.Id", value: .string("3CE10457A8F9")),
            Observation(field: "DS18B20.Temperature", value: .number(27.9), unit: "°C"),
        ]))
    }

    @Test("Tasmota STATE: relay, Wi-Fi quality (percent) and signal (dBm), load; uptime strings left out")
    func tasmotaState() throws {
        let message = try single(TasmotaDecoder(), "tasmota/tele_STATE_wifi_power.json")
        #expect(message.deviceID == "Wetterstation2023")
        #expect(message.time == 1_692_522_587_000)
        #expect(fields(message) == [
            "Heap": .number(19), "LoadAvg": .number(19), "POWER": .string("ON"),
            "Wifi.RSSI": .number(28), "Wifi.Signal": .number(-86),
        ])
        let old = try single(TasmotaDecoder(), "tasmota/tele_STATE_2018_vcc_apmac.json")
        #expect(old.deviceID == "DVES_EA9716")
        #expect(old.time == 1_526_947_749_000)  // 2018-05-22T02:09:09 Paris = 00:09:09Z
        #expect(fields(old) == ["POWER": .string("OFF"), "Vcc": .number(3.486), "Wifi.RSSI": .number(88)])
    }

    @Test("Tasmota ENERGY with one total per tariff: each tariff's counter kept under its index")
    func tasmotaEnergyPerTariff() throws {
        let message = try single(TasmotaDecoder(), "tasmota/tele_SENSOR_energy_total_per_tariff_array.json")
        #expect(message.deviceID == "pump")
        #expect(message.time == 1_569_138_431_000)  // 2019-09-22T09:47:11 Paris = 07:47:11Z
        let values = fields(message)
        #expect(values["ENERGY.Total.0"] == .number(0.29))
        #expect(values["ENERGY.Total.1"] == .number(263))
        #expect(values["ENERGY.Total.2"] == .number(0))
        #expect(values["ENERGY.Total"] == nil)
        #expect(values["ENERGY.Power"] == .number(759))
        #expect(values["ENERGY.Current"] == .number(4.95))
        #expect(values.count == 13)
    }

    @Test("Tasmota Athom plug at rest: total counter 1066 kWh, zero power, voltage 227.7 V")
    func tasmotaIdlePlug() throws {
        let message = try single(TasmotaDecoder(), "tasmota/tele_SENSOR_energy_athom_plug_idle.json")
        #expect(message.deviceID == "athomspv3a")
        #expect(message.time == 1_705_251_795_000)  // 2024-01-14T18:03:15 Paris = 17:03:15Z
        let values = fields(message)
        #expect(values["ENERGY.Total"] == .number(1066))
        #expect(values["ENERGY.Power"] == .number(0))
        #expect(values["ENERGY.Voltage"] == .number(227.7))
        #expect(values["ENERGY.TotalStartTime"] == .string("2024-01-14T18:02:42"))
        #expect(values.count == 11)
    }

    @Test("Tasmota SML reader with an unnamed meter and a clock never set (1970): counters at the top, receive time")
    func tasmotaSmlUnnamedMeter() throws {
        let message = try single(TasmotaDecoder(), "tasmota/stat_STATUS10_sml_unnamed_meter_clock_1970.json")
        #expect(message == DecodedMessage(deviceID: "lesekopf", time: nil, observations: [
            Observation(field: "Power_curr", value: .number(-136.39)),
            Observation(field: "Total_in", value: .number(2173.5)),
            Observation(field: "Total_out", value: .number(349.3)),
        ]))
    }

    @Test("Tasmota STATUS8 with two DS18B20 in °F: one probe per numbered key, each with its id and unit")
    func tasmotaTwoProbesFahrenheit() throws {
        let message = try single(TasmotaDecoder(), "tasmota/stat_STATUS8_two_ds18b20_fahrenheit.json")
        #expect(message == DecodedMessage(deviceID: "frigo", time: 1_741_031_271_000, observations: [
            // 2025-03-03T20:47:51 Paris winter time = 19:47:51Z
            Observation(field: "DS18B20-1.Id", value: .string("0301A279D4D4")),
            Observation(field: "DS18B20-1.Temperature", value: .number(44.3), unit: "°F"),
            Observation(field: "DS18B20-2.Id", value: .string("0301A279EA92")),
            Observation(field: "DS18B20-2.Temperature", value: .number(2.4), unit: "°F"),
        ]))
    }

    @Test("Tasmota Linky TIC in standard mode under a FullTopic without %prefix% (teleinfo/SENSOR), duplicated labels")
    func tasmotaTeleinfoStandardWithoutPrefix() throws {
        let options = ["full_topic": "%topic%/"]
        let message = try single(TasmotaDecoder(), "tasmota/teleinfo_SENSOR_standard_tempo_duplicate_keys_no_prefix.json", options: options)
        #expect(message.deviceID == "teleinfo")
        #expect(message.time == 1_708_033_630_000)  // 2024-02-15T22:47:10 Paris = 21:47:10Z
        let values = fields(message)
        #expect(values.count == 21)
        #expect(values["TIC.EAST"] == .string("018044578"))
        #expect(reading(values["TIC.EAST"])?.value == 18_044_578)  // Wh
        #expect(reading(values["TIC.EASF02"])?.value == 1_638_092)
        #expect(values["TIC.LTARF"] == .string("HC BLEU"))
        #expect(values["TIC.NGTF"] == .string("TEMPO"))
        // The frame was read twice into one message; the later label wins.
        #expect(values["TIC.DATE"] == .string("H240215224702"))
        // Tasmota subscribes to teleinfo/cmnd/…: a command is not a reading.
        #expect(try TasmotaDecoder().decode(topic: "teleinfo/cmnd/POWER", payload: Array("ON".utf8),
                                            context: DecodingContext(receivedAt: Self.receivedAt, options: options)).isEmpty)
    }

    @Test("Tasmota Teleinfo firmware METER block: per-phase voltage, power and current")
    func tasmotaTeleinfoMeter() throws {
        let message = try single(TasmotaDecoder(), "tasmota/tele_SENSOR_teleinfo_meter_per_phase.json")
        #expect(message.deviceID == "tasmota_EB1F5C")
        #expect(message.time == 1_706_804_294_000)  // 2024-02-01T17:18:14 Paris = 16:18:14Z
        #expect(fields(message) == [
            "METER.PH": .number(1), "METER.ISUB": .number(45), "METER.PSUB": .number(9000), "METER.PMAX": .number(9000),
            "METER.U1": .number(230), "METER.P1": .number(350), "METER.W1": .number(203), "METER.I1": .number(1.521),
            "METER.C1": .number(0.58), "METER.P": .number(350), "METER.W": .number(203), "METER.I": .number(1.521),
        ])
    }

    @Test("Tasmota Teleinfo with an empty TIC block (producer meter between frames) carries no reading")
    func tasmotaEmptyTic() throws {
        #expect(try decode(TasmotaDecoder(), "tasmota/tele_SENSOR_teleinfo_empty_tic.json").isEmpty)
    }

    @Test("Tasmota Zigbee bridge without SetOption89: the Zigbee sensor is its own device, bridge/address")
    func tasmotaZigbeeWithoutSubtopic() throws {
        let message = try single(TasmotaDecoder(), "tasmota/tele_SENSOR_zbreceived_without_setoption89.json")
        #expect(message.deviceID == "tasmota_E30562/19D0")
        #expect(message.time == nil)
        // A German build names the short-address member "Gerät": it stays, as unmapped text.
        #expect(fields(message) == [
            "Gerät": .string("0x19D0"), "LinkQuality": .number(0), "Temperature": .number(24.42),
        ])
    }

    @Test("Tasmota Zigbee bridge with SetOption89: the topic names the device (short address or friendly name), same fields")
    func tasmotaZigbeeWithSubtopic() throws {
        let named = try single(TasmotaDecoder(), "tasmota/tele_SENSOR_zbreceived_setoption89_friendly_topic.json")
        #expect(named == DecodedMessage(deviceID: "ZBBridge/ZB1", observations: [
            Observation(field: "LinkQuality", value: .number(13)),
            Observation(field: "Power", value: .number(1)),
        ]))
        // Same id scheme as without SetOption89: bridge topic, then the short address without 0x.
        let addressed = try single(TasmotaDecoder(), "tasmota/tele_SENSOR_zbreceived_setoption89_short_address_topic.json")
        #expect(addressed == DecodedMessage(deviceID: "tasmota_DC0CBC/531D", observations: [
            Observation(field: "LinkQuality", value: .number(92)),
            Observation(field: "Temperature", value: .number(25.08)),
        ]))
    }

    @Test("Tasmota LWT under a custom FullTopic MyHome/Bathroom/%prefix%/%topic%/")
    func tasmotaLwtCustomFullTopic() throws {
        let message = try single(TasmotaDecoder(), "tasmota/tele_LWT_online_custom_full_topic.txt",
                                 options: ["full_topic": "MyHome/Bathroom/%prefix%/%topic%/"])
        #expect(message == DecodedMessage(deviceID: "sonoff_basic_1", status: .online))
    }

    @Test("Tasmota relay with StateText set to 1/0: RESULT and POWER1 both say on")
    func tasmotaStateTextDigits() throws {
        let result = try single(TasmotaDecoder(), "tasmota/stat_RESULT_power1_statetext_digit.json")
        #expect(result == DecodedMessage(deviceID: "Anet-E10-Power", observations: [Observation(field: "POWER1", value: .string("1"))]))
        let power = try single(TasmotaDecoder(), "tasmota/stat_POWER1_statetext_digit.txt")
        #expect(power == DecodedMessage(deviceID: "Anet-E10-Power", observations: [Observation(field: "POWER1", value: .string("1"))]))
        #expect(reading(power.observations.first?.value, isState: true)?.value == 1)
    }

    // MARK: - Shelly

    @Test("Shelly Plus H&T on USB power: temperature and humidity; its 0 % 'battery' is no battery and is left out")
    func shellyPlusHTOnUSB() throws {
        let message = try single(ShellyDecoder(), "shelly/gen2_plusht_usb_notify_full_status.json")
        #expect(message == DecodedMessage(deviceID: "shellyplusht-c049ef8bc088", time: 1_669_541_352_210, observations: [
            Observation(field: "devicepower:0.external.present", value: .bool(true)),
            Observation(field: "humidity:0.rh", value: .number(57.6)),
            Observation(field: "temperature:0.tC", value: .number(19)),
            Observation(field: "temperature:0.tF", value: .number(66.2)),
            Observation(field: "wifi.rssi", value: .number(-60)),
        ]))
    }

    @Test("Shelly 1PM Mini Gen3 NotifyStatus with only the changed power and current")
    func shellyPartialNotifyStatus() throws {
        let message = try single(ShellyDecoder(), "shelly/gen3_1pm_mini_notify_status_partial.json")
        #expect(message == DecodedMessage(deviceID: "shelly1pmminig3-5432044edbc0", time: 1_788_945_292_880, observations: [
            Observation(field: "switch:0.apower", value: .number(11.5)),
            Observation(field: "switch:0.current", value: .number(0.071)),
        ]))
    }

    @Test("Shelly 1PM Mini Gen3 switch status: energy counters and switching counts, no per-minute history, null tag left out")
    func shellyGen3SwitchStatus() throws {
        let message = try single(ShellyDecoder(), "shelly/gen3_1pm_mini_status_switch0_counts_tag_null.json")
        #expect(message.deviceID == "shelly1pmminig3-5432044edbc0")
        #expect(message.time == nil)
        #expect(fields(message) == [
            "switch:0.aenergy.total": .number(152669.987), "switch:0.apower": .number(11.5),
            "switch:0.counts.on_above_thr": .number(0), "switch:0.counts.on_above_thr_rst_ts": .number(0),
            "switch:0.counts.on_time": .number(44340), "switch:0.counts.on_time_rst_ts": .number(0),
            "switch:0.counts.switch_on": .number(539), "switch:0.counts.switch_on_rst_ts": .number(0),
            "switch:0.current": .number(0.073), "switch:0.freq": .number(50), "switch:0.output": .bool(true),
            "switch:0.ret_aenergy.total": .number(0), "switch:0.temperature.tC": .number(55),
            "switch:0.temperature.tF": .number(131), "switch:0.voltage": .number(240.3),
        ])
    }

    @Test("Shelly Plus Plug S NotifyFullStatus: the switch and Wi-Fi signal; scripts and UI settings are not readings")
    func shellyPlugFullStatus() throws {
        let message = try single(ShellyDecoder(), "shelly/gen2_plus_plug_s_notify_full_status_script.json")
        #expect(message.deviceID == "shellyplusplugs-80646fd031f8")
        #expect(message.time == 1_698_999_954_770)
        #expect(fields(message) == [
            "switch:0.aenergy.total": .number(30473.355), "switch:0.apower": .number(0), "switch:0.current": .number(0),
            "switch:0.output": .bool(true), "switch:0.temperature.tC": .number(34.8), "switch:0.temperature.tF": .number(94.7),
            "switch:0.voltage": .number(229.1), "wifi.rssi": .number(-73),
        ])
    }

    @Test("A Shelly notification about its MQTT connection carries no reading")
    func shellyNoReading() throws {
        #expect(try decode(ShellyDecoder(), "shelly/gen2_1pm_mini_custom_prefix_notify_mqtt_only.json").isEmpty)
    }

    @Test("A thermostat's virtual boolean component is kept as a reading at the notification's time")
    func shellyVirtualComponent() throws {
        let message = try single(ShellyDecoder(), "shelly/gen2_st1820_thermostat_virtual_boolean_notify.json")
        #expect(message.deviceID == "st1820-8cbfeaa6eba0")
        #expect(message.time == 1_759_928_007_860)
        #expect(fields(message) == ["boolean:200.value": .bool(false)])
    }

    @Test("Shelly Plus 1 NotifyStatus with only the device temperature")
    func shellyTemperatureOnly() throws {
        let message = try single(ShellyDecoder(), "shelly/gen2_plus1_notify_status_temperature_only.json")
        #expect(message == DecodedMessage(deviceID: "shellyplus1-441793ab3fb4", time: 1_708_179_956_300, observations: [
            Observation(field: "switch:0.temperature.tC", value: .number(37.67)),
            Observation(field: "switch:0.temperature.tF", value: .number(99.81)),
        ]))
    }

    @Test("Shelly Plus 1 full status on {prefix}/status (answer to status_update): components read, timed by sys.unixtime")
    func shellyFullStatusTopic() throws {
        let message = try single(ShellyDecoder(), "shelly/gen2_plus1_full_status_on_status_update_command.json")
        #expect(message == DecodedMessage(deviceID: "shellyplus1-441793ab3fb4", time: 1_708_181_319_000, observations: [
            Observation(field: "input:0.state", value: .bool(false)),
            Observation(field: "switch:0.output", value: .bool(true)),
            Observation(field: "switch:0.temperature.tC", value: .number(54.6)),
            Observation(field: "switch:0.temperature.tF", value: .number(130.2)),
            Observation(field: "wifi.rssi", value: .number(-52)),
        ]))
    }

    @Test("Shelly Plus 1PM under prefix shellies/plus1pm: Gen2 switch status, and a boot notification timed 1.61 s after 1970")
    func shellyGen2UnderShelliesPrefix() throws {
        let message = try single(ShellyDecoder(), "shelly/gen2_plus1pm_shellies_prefix_status_switch0.json")
        #expect(message.deviceID == "shellies/plus1pm")
        #expect(fields(message) == [
            "switch:0.aenergy.total": .number(0), "switch:0.apower": .number(0), "switch:0.current": .number(0),
            "switch:0.output": .bool(true), "switch:0.temperature.tC": .number(46), "switch:0.temperature.tF": .number(114.7),
            "switch:0.voltage": .number(232.6),
        ])
        let boot = try Self.fixture("shelly/gen2_plus1pm_shellies_prefix_boot_notify_clock_unset.json")
        #expect(try decode(ShellyDecoder(), "shelly/gen2_plus1pm_shellies_prefix_boot_notify_clock_unset.json").isEmpty)
        let ts = try JSONParser.parse(boot.payload).value(at: "params.ts")
        #expect(ShellyDecoder.plausibleTime(ts, context: DecodingContext(receivedAt: Self.receivedAt)) == nil)
    }

    @Test("Shelly Gen1: relay 'off', input '0'; input events and announcements are not readings")
    func shellyGen1() throws {
        #expect(try single(ShellyDecoder(), "shelly/gen1_shelly1_relay_off.txt")
            == DecodedMessage(deviceID: "shelly1", observations: [Observation(field: "relay.0", value: .string("off"))]))
        #expect(try single(ShellyDecoder(), "shelly/gen1_shelly1_input.txt")
            == DecodedMessage(deviceID: "shelly1", observations: [Observation(field: "input.0", value: .number(0))]))
        #expect(try decode(ShellyDecoder(), "shelly/gen1_shelly1_input_event.json").isEmpty)
        #expect(try decode(ShellyDecoder(), "shelly/gen1_announce.json").isEmpty)
    }

    // MARK: - Every fixture

    /// Each format folder's decoder.
    static let decoders: [String: any PayloadDecoder] = [
        "chirpstack-v4": ChirpStackV4Decoder(), "chirpstack-v3": ChirpStackV3Decoder(), "tts-v3": ThingsStackV3Decoder(),
        "zigbee2mqtt": Zigbee2MQTTDecoder(), "tasmota": TasmotaDecoder(), "shelly": ShellyDecoder(),
    ]

    /// Fixtures that need their subscription's options.
    static let options: [String: [String: String]] = [
        "tuya_ts0601_presence_relay_device_info_custom_base.json": ["base_topic": "slzb06"],
        "teleinfo_SENSOR_standard_tempo_duplicate_keys_no_prefix.json": ["full_topic": "%topic%/"],
        "tele_LWT_online_custom_full_topic.txt": ["full_topic": "MyHome/Bathroom/%prefix%/%topic%/"],
    ]

    /// Every payload file as `format/name`, with its decoder.
    static func allFixtures() throws -> [(path: String, name: String, decoder: any PayloadDecoder)] {
        var fixtures: [(path: String, name: String, decoder: any PayloadDecoder)] = []
        for (format, decoder) in decoders {
            for name in try TestFixtures.names(in: "real/\(format)") where !name.hasSuffix(".topic") {
                fixtures.append((format + "/" + name, name, decoder))
            }
        }
        return fixtures
    }

    @Test("every real fixture has a topic file and decodes without error")
    func everyFixtureDecodes() throws {
        let fixtures = try Self.allFixtures()
        #expect(fixtures.count >= 30)
        for fixture in fixtures {
            #expect(throws: Never.self, "\(fixture.path)") {
                _ = try decode(fixture.decoder, fixture.path, options: Self.options[fixture.name] ?? [:])
            }
        }
    }

    @Test("every prefix of every real fixture (a message cut short) decodes or throws, never crashes")
    func truncatedFixturesNeverCrash() throws {
        for entry in try Self.allFixtures() {
            let fixture = try Self.fixture(entry.path)
            let context = DecodingContext(receivedAt: Self.receivedAt, options: Self.options[entry.name] ?? [:])
            for length in 0..<fixture.payload.count {
                _ = try? entry.decoder.decode(topic: fixture.topic, payload: Array(fixture.payload.prefix(length)), context: context)
            }
        }
    }
}
