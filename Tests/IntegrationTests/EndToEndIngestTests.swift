import Foundation
import Testing
import SQLiteDB

/// One gateway process, one real broker: each supported format published as real systems publish it,
/// and what is stored checked against what the message means.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct EndToEndIngestTests {
    struct StoredReading: Decodable {
        let device: String
        let asset: String?
        let metric: String
        let unit: String
        let time: Int64
        let value: Double
    }

    func readings(_ fixture: GatewayFixture, asset: String) throws -> [StoredReading] {
        let output = try fixture.cli(["readings", "--config", fixture.configPath, "--asset", asset, "--format", "json"])
        guard let start = output.firstIndex(of: "[") else { throw TestFailure("no JSON in: \(output)") }
        return try JSONDecoder().decode([StoredReading].self, from: Data(output[start...].utf8))
    }

    @Test("every format is decoded, normalised to canonical units and stored under its asset")
    func everyFormatStoredUnderItsAsset() throws {
        let fixture = try GatewayFixture(name: "e2e", subscriptions: TestProfiles.subscriptions,
                                         inventory: TestProfiles.inventory(), profiles: TestProfiles.all)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        // ChirpStack v4 uplink with nanosecond time and a decoded object carrying a number as a string.
        try publisher.publish("application/17c82e96/device/a84041000181c0b2/event/up", """
            {"deduplicationId":"3ac7e3c4","time":"2026-11-20T09:34:15.775023242+00:00",
             "deviceInfo":{"tenantId":"t","applicationId":"17c82e96","deviceProfileName":"LHT65","deviceName":"classe1","devEui":"a84041000181c0b2"},
             "devAddr":"00189440","fCnt":42,"fPort":2,"data":"y6QHxAGbAX//f/8=",
             "object":{"TempC_SHT":"21.5","Hum_SHT":48.2,"co2":812},
             "rxInfo":[{"gatewayId":"0016c001f153a14c","rssi":-97,"snr":7.5}]}
            """)
        // Zigbee2MQTT: no time in the payload, so the receive time is the measurement time.
        try publisher.publish("zigbee2mqtt/salle_conseil", #"{"temperature":19.4,"humidity":55,"linkquality":120,"battery":87}"#)
        // Tasmota Teleinfo (Linky, historique): local time without offset, indexes as strings with leading zeros.
        try publisher.publish("tele/linky_mairie/SENSOR", """
            {"Time":"2026-11-20T10:28:45","ENERGY":{"Total":9098.245,"Power":170},
             "TIC":{"ADCO":"021528603314","OPTARIF":"HC..","ISOUSC":15,"HCHC":"000920750","HCHP":"002275560","PTEC":"HP..","PAPP":170}}
            """)
        // Shelly Gen2 switch status; energy in Wh.
        try publisher.publish("shellyplus1pm-mairie/status/switch:0",
                              #"{"id":0,"source":"init","output":true,"apower":41.3,"voltage":231.2,"aenergy":{"total":1520.5,"by_minute":[0,0,0],"minute_ts":1763631000},"temperature":{"tC":46.2,"tF":115.1}}"#)
        // SenML with base time and a relative time.
        try publisher.publish("senml/salle", #"[{"bn":"urn:dev:ow:10e2073a01080063","bt":1.7636310e9,"n":"temperature","u":"Cel","v":20.5},{"n":"temperature","t":60,"v":20.7}]"#)
        // Generic JSON with a configured time path (epoch ms).
        try publisher.publish("capteurs/sonde-42/data", #"{"ts":1763631000000,"temperature":"22.25 °C","co2":"455"}"#)
        // One plain value per topic; the profile says m³, stored in litres.
        try publisher.publish("chaufferie/chaudiere/gas_index", "1234.567")
        // An unknown device and a malformed payload: neither may be lost.
        try publisher.publish("zigbee2mqtt/capteur_inconnu", #"{"temperature":18.0}"#)
        try publisher.publish("application/17c82e96/device/a84041000181c0b2/event/up", #"{"deviceInfo":{"devEui":"a84041000181c0b2"},"object":{"TempC_SHT":21"#)
        try publisher.waitForAcknowledgements(9)

        try eventually(timeout: 20, "all readings stored") { fixture.count("SELECT count(*) FROM readings") >= 17 }
        try eventually(timeout: 20, "the malformed message rejected") { fixture.count("SELECT count(*) FROM rejected_messages") >= 1 }

        let classroom = try readings(fixture, asset: "ECOLE-CLASSE-1")
        let time = Int64(1_795_167_255_775) // 2026-11-20T09:34:15.775Z
        #expect(classroom.contains { $0.metric == "temperature" && $0.value == 21.5 && $0.unit == "°C" && $0.time == time })
        #expect(classroom.contains { $0.metric == "humidity" && $0.value == 48.2 && $0.unit == "%RH" })
        #expect(classroom.contains { $0.metric == "co2" && $0.value == 812 && $0.unit == "ppm" })
        #expect(classroom.contains { $0.metric == "rssi" && $0.value == -97 })

        let meter = try readings(fixture, asset: "COMPTEUR-MAIRIE")
        let linkyTime = Int64(1_795_166_925_000) // 2026-11-20T10:28:45 in Paris (UTC+1)
        #expect(meter.contains { $0.metric == "energy_offpeak" && $0.value == 920_750 && $0.unit == "Wh" && $0.time == linkyTime })
        #expect(meter.contains { $0.metric == "energy_peak" && $0.value == 2_275_560 })
        #expect(meter.contains { $0.metric == "energy_import" && $0.value == 9_098_245 && $0.unit == "Wh" }) // kWh → Wh
        #expect(meter.contains { $0.metric == "apparent_power" && $0.value == 170 && $0.unit == "VA" })

        let townHall = try readings(fixture, asset: "MAIRIE")
        #expect(townHall.contains { $0.metric == "power" && $0.value == 41.3 && $0.unit == "W" })
        #expect(townHall.contains { $0.metric == "energy_import" && $0.value == 1520.5 && $0.unit == "Wh" })
        #expect(townHall.contains { $0.metric == "relay" && $0.value == 1 })

        let council = try readings(fixture, asset: "SALLE-CONSEIL")
        #expect(council.contains { $0.device == "salle_conseil" && $0.metric == "temperature" && $0.value == 19.4 })
        #expect(council.contains { $0.device == "urn:dev:ow:10e2073a01080063" && $0.value == 20.5 && $0.time == 1_763_631_000_000 })
        #expect(council.contains { $0.device == "urn:dev:ow:10e2073a01080063" && $0.value == 20.7 && $0.time == 1_763_631_060_000 })
        #expect(council.contains { $0.device == "sonde-42" && $0.metric == "temperature" && $0.value == 22.25 && $0.time == 1_763_631_000_000 })
        #expect(council.contains { $0.device == "sonde-42" && $0.metric == "co2" && $0.value == 455 })

        let boiler = try readings(fixture, asset: "CHAUFFERIE")
        #expect(boiler.contains { $0.metric == "gas_volume" && abs($0.value - 1_234_567) < 1e-6 && $0.unit == "L" })

        // The unknown device is listed as pending with its message kept.
        let pending = try fixture.cli(["devices", "--config", fixture.configPath, "--pending", "--format", "csv"])
        #expect(pending.contains("capteur_inconnu,pending"))
        #expect(fixture.count("SELECT count(*) FROM pending_messages WHERE device_key = 'capteur_inconnu'") == 1)

        // The malformed payload is kept with a precise reason.
        let rejected = try fixture.cli(["rejected", "--config", fixture.configPath, "--format", "json"])
        #expect(rejected.contains("chirpstack-v4"))
        #expect(rejected.contains("truncated") || rejected.contains("end of data"))
        #expect(fixture.gateway?.isRunning == true)
    }

    @Test("a device declared after its first messages gets its history under its asset")
    func pendingDeviceHistoryFollowsItsBinding() throws {
        let fixture = try GatewayFixture(name: "pending", subscriptions: TestProfiles.subscriptions,
                                         inventory: TestProfiles.inventory(), profiles: TestProfiles.all)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        for minute in 0..<5 {
            try publisher.publish("capteurs/nouvelle-sonde/data", #"{"ts":\#(1_763_631_000_000 + minute * 60_000),"temperature":\#(20 + minute)}"#)
        }
        try publisher.waitForAcknowledgements(5)
        try eventually(timeout: 20, "messages kept as pending") { fixture.count("SELECT count(*) FROM pending_messages") == 5 }
        #expect(fixture.count("SELECT count(*) FROM readings") == 0)

        // The commune declares the device and restarts the gateway.
        try fixture.stopGateway()
        try TestProfiles.inventory(extraDevices: #"  - {id: "nouvelle-sonde", profile: test-room-sensor, asset: ECOLE-CLASSE-1}"#)
            .write(toFile: fixture.directory + "/inventory.yaml", atomically: true, encoding: .utf8)
        try fixture.startGateway()

        let stored = try readings(fixture, asset: "ECOLE-CLASSE-1").filter { $0.device == "nouvelle-sonde" }
        #expect(stored.map(\.value) == [20, 21, 22, 23, 24])
        let expectedTimes: [Int64] = (0..<5).map { minute in 1_763_631_000_000 + Int64(minute) * 60_000 }
        #expect(stored.map(\.time) == expectedTimes)
        #expect(fixture.count("SELECT count(*) FROM pending_messages") == 0)
    }

    @Test("late, out-of-order and repeated readings: stored once, latest is the newest measurement")
    func lateAndRepeatedReadings() throws {
        let fixture = try GatewayFixture(name: "order", subscriptions: TestProfiles.subscriptions,
                                         inventory: TestProfiles.inventory(), profiles: TestProfiles.all)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        try publisher.publish("capteurs/sonde-42/data", #"{"ts":1763631600000,"temperature":21}"#)  // 10:40
        try publisher.publish("capteurs/sonde-42/data", #"{"ts":1763631000000,"temperature":19}"#)  // 10:30, late
        try publisher.publish("capteurs/sonde-42/data", #"{"ts":1763631600000,"temperature":21.0}"#) // repeat as 21.0
        try publisher.publish("capteurs/sonde-42/data", #"{"ts":1763631300000,"temperature":"45"}"#) // 10:35
        try publisher.publish("capteurs/sonde-42/data", #"{"ts":1763631300000,"temperature":45.0}"#) // same, as 45.0
        try publisher.waitForAcknowledgements(5)
        try eventually(timeout: 20, "messages applied") { fixture.count("SELECT coalesce(sum(value), 0) FROM ingest_counters WHERE name = 'messages_received'") >= 5 }
        #expect(fixture.count("SELECT count(*) FROM readings") == 3)
        let latest = try fixture.query { db in
            try db.prepare("SELECT l.ts, l.value FROM latest l JOIN series s ON s.id = l.series_id WHERE s.metric = 'temperature'").first { ($0.int(0), $0.double(1)) }
        }
        #expect(latest?.0 == 1_763_631_600_000)
        #expect(latest?.1 == 21)
    }
}
