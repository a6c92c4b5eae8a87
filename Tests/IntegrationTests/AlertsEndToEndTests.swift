import Foundation
import Testing

/// Rules configured in the gateway, readings published through a real broker, alerts read and acted on with the
/// CLI — across a gateway killed in the middle of a rule's duration.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AlertsEndToEndTests {
    struct ListedAlert: Decodable {
        let id: Int64
        let state: String
        let asset: String
        let rule: String
        let value: Double?
        let message: String
        let acknowledgedBy: String?
        let resolvedBy: String?
    }

    static let rules = """
        rules:
          - id: co2-ventilation
            name: "CO₂ au-dessus de 1 500 ppm : ventilation insuffisante"
            metric: co2
            asset_types: [room]
            above: 1500
            for: 10m
            clear_below: 1000
            clear_for: 5m
            severity: warning
        """

    func uplink(minute: Int, co2: Int) -> String {
        // 2026-11-20 09:00 UTC + minute.
        let time = String(format: "2026-11-20T09:%02d:00+00:00", minute)
        return """
            {"time":"\(time)","deviceInfo":{"devEui":"a84041000181c0b2","deviceName":"classe1"},"fCnt":\(minute),"fPort":2,
             "object":{"co2":\(co2)},"rxInfo":[{"gatewayId":"0016c001f153a14c","rssi":-97,"snr":7.5}]}
            """
    }

    static let topic = "application/17c82e96/device/a84041000181c0b2/event/up"

    /// A gateway running the rules above, and a publisher on its broker.
    func startedGateway(_ name: String, extraConfig: String = "") throws -> (GatewayFixture, TestPublisher) {
        let fixture = try GatewayFixture(name: name, subscriptions: TestProfiles.subscriptions, inventory: TestProfiles.inventory(),
                                         profiles: TestProfiles.all, alerts: Self.rules, extraConfig: extraConfig)
        try fixture.startGateway()
        return (fixture, try TestPublisher(port: fixture.broker.port))
    }

    func alerts(_ fixture: GatewayFixture, all: Bool = false) throws -> [ListedAlert] {
        let output = try fixture.cli(["alerts", "list", "--config", fixture.configPath, "--format", "json"] + (all ? ["--all"] : []))
        guard let start = output.firstIndex(of: "[") else { throw TestFailure("no JSON in: \(output)") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode([ListedAlert].self, from: Data(output[start...].utf8))
    }

    @Test("a classroom above 1,500 ppm for 10 minutes raises one alert, even with the gateway killed in between; agents acknowledge and resolve it")
    func raisesAcrossAKillThenAgentsAct() throws {
        let (fixture, publisher) = try startedGateway("alerts")
        try publisher.publish(Self.topic, uplink(minute: 0, co2: 1_600))
        try publisher.publish(Self.topic, uplink(minute: 5, co2: 1_700))
        try publisher.waitForAcknowledgements(2)
        try eventually(timeout: 20, "the condition pending") { fixture.count("SELECT count(*) FROM alert_conditions WHERE state = 'pending'") == 1 }
        #expect(try alerts(fixture).isEmpty)

        fixture.killGateway()
        try fixture.startGateway()
        try publisher.publish(Self.topic, uplink(minute: 10, co2: 1_800))
        try publisher.publish(Self.topic, uplink(minute: 12, co2: 1_900))   // still above: no second alert
        try publisher.waitForAcknowledgements(4)
        try eventually(timeout: 20, "the alert raised") { fixture.count("SELECT count(*) FROM alerts") == 1 }
        try eventually(timeout: 20, "every reading evaluated") {
            fixture.count("SELECT count(*) FROM alert_conditions WHERE evaluated_at = 1795165920000") == 1   // 09:12 UTC
        }
        var open = try alerts(fixture)
        #expect(open.count == 1)
        let alert = try #require(open.first)
        #expect(alert.state == "open" && alert.asset == "ECOLE-CLASSE-1" && alert.rule == "co2-ventilation" && alert.value == 1_800)
        #expect(alert.message.contains("École — classe 1") && alert.message.contains("depuis le 20/11/2026 10:00"))
        #expect(fixture.gatewayLog.contains("alerte ouverte"))

        _ = try fixture.cli(["alerts", "ack", "\(alert.id)", "--by", "Martine", "--comment", "fenêtres ouvertes", "--config", fixture.configPath])
        open = try alerts(fixture)
        #expect(open.first?.state == "acknowledged" && open.first?.acknowledgedBy == "Martine")
        let refused = try fixture.cli(["alerts", "ack", "\(alert.id)", "--by", "Paul", "--config", fixture.configPath])
        #expect(refused.contains("already acknowledged by Martine"))

        _ = try fixture.cli(["alerts", "resolve", "\(alert.id)", "--by", "Martine", "--comment", "VMC réparée", "--config", fixture.configPath])
        #expect(try alerts(fixture).isEmpty)
        #expect(try alerts(fixture, all: true).first?.resolvedBy == "Martine")
        try fixture.stopGateway()
    }

    @Test("the alert resolves itself once CO₂ has stayed under 1,000 ppm for 5 minutes")
    func resolvesItself() throws {
        let (fixture, publisher) = try startedGateway("alerts-clear")
        for (minute, value) in [(0, 1_600), (10, 1_650), (20, 1_200), (25, 950), (28, 900), (30, 850)] {
            try publisher.publish(Self.topic, uplink(minute: minute, co2: value))
        }
        try publisher.waitForAcknowledgements(6)
        try eventually(timeout: 20, "the alert resolved") { fixture.count("SELECT count(*) FROM alerts WHERE state = 'resolved'") == 1 }
        let resolved = try #require(try alerts(fixture, all: true).first)
        #expect(resolved.resolvedBy == nil)
        #expect(fixture.count("SELECT count(*) FROM alerts WHERE resolved_at = 1795167000000") == 1)   // 09:30 UTC
        #expect(fixture.gatewayLog.contains("alerte résolue"))

        // The back-test replays the stored readings: the same one alert; a stricter level tried, none.
        let backtest = try fixture.cli(["alerts", "backtest", "--rule", "co2-ventilation", "--days", "3650", "--config", fixture.configPath])
        #expect(backtest.contains("1 alert on 1 of"), "\(backtest)")
        #expect(backtest.contains("ECOLE-CLASSE-1: 1 alert (6 readings)"), "\(backtest)")
        let stricter = try fixture.cli(["alerts", "backtest", "--rule", "co2-ventilation", "--level", "1700", "--days", "3650", "--config", fixture.configPath])
        #expect(stricter.contains("0 alerts on 0 of"), "\(stricter)")
        try fixture.stopGateway()
    }

    @Test("every change is POSTed to the webhook in French, retried until the receiver accepts it, agents' changes too")
    func webhookDelivery() throws {
        let receiver = try WebhookReceiver(directory: NSTemporaryDirectory() + "pmc-webhook-\(UUID().uuidString.prefix(8))", failFirst: 2)
        let (fixture, publisher) = try startedGateway("alerts-webhook", extraConfig: """
            notifications:
              webhooks:
                - {name: astreinte, url: "\(receiver.url)", timeout: 5}
            """)
        for (minute, value) in [(0, 1_600), (10, 1_650)] {
            try publisher.publish(Self.topic, uplink(minute: minute, co2: value))
        }
        try publisher.waitForAcknowledgements(2)
        // Two refusals (500), then accepted: retried after 1 s, then 2 s.
        try eventually(timeout: 30, "the opening delivered") { receiver.received.count == 1 }
        #expect(receiver.attempts == 3)
        let opened = try #require(receiver.received.first)
        let body = try #require(opened["body"] as? [String: Any])
        #expect(opened["path"] as? String == "/alertes")
        #expect((opened["type"] as? String)?.hasPrefix("application/json") == true)
        #expect(body["event"] as? String == "opened" && body["asset"] as? String == "ECOLE-CLASSE-1" && body["rule"] as? String == "co2-ventilation")
        #expect(body["commune"] as? String == "Testville" && body["value"] as? Double == 1_650 && body["threshold"] as? Double == 1_500)
        #expect((body["message"] as? String)?.contains("au-dessus du seuil de 1\u{202F}500 ppm") == true)
        try eventually(timeout: 10, "the delivery recorded in the outbox") {
            fixture.count("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NOT NULL AND attempts = 3 AND last_error IS NULL") == 1
        }
        #expect(fixture.gatewayLog.contains("alert notification failed; will retry"))

        let id = try #require(body["id"] as? Int)
        _ = try fixture.cli(["alerts", "ack", "\(id)", "--by", "Martine", "--comment", "j'y vais", "--config", fixture.configPath])
        try eventually(timeout: 20, "the acknowledgement delivered") { receiver.received.count == 2 }
        let acknowledged = try #require(receiver.received.last?["body"] as? [String: Any])
        #expect(acknowledged["event"] as? String == "acknowledged" && acknowledged["state"] as? String == "acknowledged")
        #expect((acknowledged["acknowledged"] as? [String: Any])?["by"] as? String == "Martine")
        try fixture.stopGateway()
    }
}

/// Escalation through the running gateway: nobody acknowledges, the webhook is told again.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct EscalationEndToEndTests {
    @Test("an alert nobody acknowledges within escalate_after (2 s) is POSTed again as 'escalated', once; the log says it in French")
    func escalatesUnacknowledged() throws {
        let receiver = try WebhookReceiver(directory: NSTemporaryDirectory() + "pmc-webhook-\(UUID().uuidString.prefix(8))")
        let tests = AlertsEndToEndTests()
        let fixture = try GatewayFixture(name: "alerts-escalation", subscriptions: TestProfiles.subscriptions, inventory: TestProfiles.inventory(),
                                         profiles: TestProfiles.all, alerts: AlertsEndToEndTests.rules + "\n    escalate_after: 2s\n",
                                         extraConfig: """
                                            notifications:
                                              webhooks:
                                                - {name: astreinte, url: "\(receiver.url)", timeout: 5}
                                            """)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        for (minute, value) in [(0, 1_600), (10, 1_650)] {
            try publisher.publish(AlertsEndToEndTests.topic, tests.uplink(minute: minute, co2: value))
        }
        try publisher.waitForAcknowledgements(2)
        try eventually(timeout: 30, "opened then escalated") { receiver.received.count == 2 }
        let events = receiver.received.compactMap { ($0["body"] as? [String: Any])?["event"] as? String }
        #expect(events == ["opened", "escalated"])
        let escalated = try #require(receiver.received.last?["body"] as? [String: Any])
        #expect(escalated["state"] as? String == "open" && escalated["escalated_at"] is String)
        #expect(fixture.gatewayLog.contains("alerte non prise en charge depuis"))
        Thread.sleep(forTimeInterval: 3)
        #expect(receiver.received.count == 2)   // once
        try fixture.stopGateway()
    }
}

/// The e-mail channel, through a real SMTP server (aiosmtpd) on loopback.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct EmailChannelEndToEndTests {
    @Test("the opening and an agent's acknowledgement are e-mailed in French to the agents, subject in UTF-8")
    func emailsTheAgents() throws {
        let sink = try SMTPSink(directory: NSTemporaryDirectory() + "pmc-smtp-\(UUID().uuidString.prefix(8))")
        let tests = AlertsEndToEndTests()
        let (fixture, publisher) = try tests.startedGateway("alerts-email", extraConfig: """
            notifications:
              email: {name: courriel, host: 127.0.0.1, port: \(sink.port), from: pmc-gateway@testville.fr, to: [technique@testville.fr, elu@testville.fr]}
            """)
        for (minute, value) in [(0, 1_600), (10, 1_650)] {
            try publisher.publish(AlertsEndToEndTests.topic, tests.uplink(minute: minute, co2: value))
        }
        try publisher.waitForAcknowledgements(2)
        try eventually(timeout: 30, "the opening e-mailed") { sink.received.count == 1 }
        let opened = try #require(sink.received.first)
        #expect(opened["from"] as? String == "pmc-gateway@testville.fr")
        #expect(opened["to"] as? [String] == ["technique@testville.fr", "elu@testville.fr"])
        #expect(opened["subject"] as? String == "[Testville] Alerte ouverte — ECOLE-CLASSE-1 : co2-ventilation")
        #expect(opened["type"] as? String == "text/plain")
        let body = try #require(opened["body"] as? String)
        #expect(body.contains("Alerte ouverte (avertissement) — Testville"))
        #expect(body.contains("au-dessus du seuil de 1\u{202F}500 ppm"))
        let id = try #require(body.split(whereSeparator: \.isNewline).last { $0.hasPrefix("Alerte n° ") }.flatMap { Int($0.dropFirst(10).prefix { $0.isNumber }) })
        _ = try fixture.cli(["alerts", "ack", "\(id)", "--by", "Martine", "--comment", "j'y vais", "--config", fixture.configPath])
        try eventually(timeout: 20, "the acknowledgement e-mailed") { sink.received.count == 2 }
        let acknowledged = try #require(sink.received.last)
        #expect((acknowledged["subject"] as? String)?.contains("Alerte prise en charge") == true)
        #expect((acknowledged["body"] as? String)?.contains("par Martine : j'y vais") == true)
        try fixture.stopGateway()
    }
}

/// The MQTT channel, read by the commune's other tools with `mosquitto_sub` on the same broker.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MQTTAlertChannelEndToEndTests {
    /// The retained messages under `filter`, as `topic payload` lines (`mosquitto_sub --retained-only`).
    func retained(_ port: Int, _ filter: String) throws -> [String] {
        let log = NSTemporaryDirectory() + "pmc-sub-\(UUID().uuidString.prefix(8)).out"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try ChildProcess(executable: "/usr/bin/mosquitto_sub",
                                       arguments: ["-h", "127.0.0.1", "-p", "\(port)", "-t", filter, "-v", "--retained-only", "-W", "2"], logPath: log)
        guard process.waitForExit(timeout: 15) != nil else { throw TestFailure("mosquitto_sub did not finish") }
        let prefix = filter.replacingOccurrences(of: "#", with: "")
        return process.log.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }

    @Test("an open alert is retained on communes/testville/alertes/ASSET/RULE as JSON in French; acknowledged, it is updated; resolved, the retained message is cleared")
    func retainedCurrentState() throws {
        let tests = AlertsEndToEndTests()
        let (fixture, publisher) = try tests.startedGateway("alerts-mqtt", extraConfig: """
            notifications:
              mqtt: {name: supervision, topic: "communes/testville/alertes"}
            """)
        let port = fixture.broker.port
        for (minute, value) in [(0, 1_600), (10, 1_650)] {
            try publisher.publish(AlertsEndToEndTests.topic, tests.uplink(minute: minute, co2: value))
        }
        try publisher.waitForAcknowledgements(2)
        try eventually(timeout: 30, "the opening delivered") {
            fixture.count("SELECT count(*) FROM alert_outbox WHERE channel = 'supervision' AND delivered_at IS NOT NULL") == 1
        }
        var lines = try retained(port, "communes/testville/alertes/#")
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasPrefix("communes/testville/alertes/ECOLE-CLASSE-1/co2-ventilation {"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line[line.firstIndex(of: "{")!...].utf8)) as? [String: Any])
        #expect(json["state"] as? String == "open" && json["value"] as? Double == 1_650 && json["commune"] as? String == "Testville")
        #expect((json["message"] as? String)?.contains("au-dessus du seuil de 1\u{202F}500 ppm") == true)

        let id = try #require(json["id"] as? Int)
        _ = try fixture.cli(["alerts", "ack", "\(id)", "--by", "Martine", "--config", fixture.configPath])
        try eventually(timeout: 20, "the acknowledgement retained") {
            (try? retained(port, "communes/testville/alertes/#"))?.first?.contains(#""state":"acknowledged""#) == true
        }
        _ = try fixture.cli(["alerts", "resolve", "\(id)", "--by", "Martine", "--comment", "VMC réparée", "--config", fixture.configPath])
        try eventually(timeout: 20, "the resolution delivered") {
            fixture.count("SELECT count(*) FROM alert_outbox WHERE channel = 'supervision' AND delivered_at IS NOT NULL") == 3
        }
        lines = try retained(port, "communes/testville/alertes/#")
        #expect(lines.isEmpty, "\(lines)")
        try fixture.stopGateway()
    }
}

/// Silence is time-driven: devices that stop reporting, judged on their own interval, folded at their cabinet.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SilenceEndToEndTests {
    static let fastLamp = """
        id: test-fast-lamp
        name: Nœud de point lumineux (test, relevé chaque seconde)
        category: street_light_controller
        reporting_interval: 1s
        metrics:
          - {field: power, metric: power, unit: W}
        """
    static let inventory = """
        assets:
          - {id: ARMOIRE-A, name: Armoire A, type: control_cabinet, domain: eclairage, address: "rue des Lilas"}
          - {id: PL-1, name: Point lumineux 1, type: light_point, domain: eclairage, parent: ARMOIRE-A}
          - {id: PL-2, name: Point lumineux 2, type: light_point, domain: eclairage, parent: ARMOIRE-A}
        devices:
          - {id: lampe-1, profile: test-fast-lamp, asset: PL-1}
          - {id: lampe-2, profile: test-fast-lamp, asset: PL-2}
        """

    func alertStates(_ fixture: GatewayFixture) -> Set<String> {
        (try? fixture.query { db in
            try db.prepare("SELECT asset_id, rule_id, state FROM alerts").map { "\($0.string(0)) \($0.string(1)) \($0.string(2))" }
        }).map(Set.init) ?? []
    }

    @Test("both light points of a cabinet go silent: one alert on the cabinet; one point back: the cabinet's resolves, the other point's opens")
    func cabinetSilence() throws {
        let fixture = try GatewayFixture(name: "silence", subscriptions: TestProfiles.subscriptions, inventory: Self.inventory,
                                         profiles: ["test-fast-lamp": Self.fastLamp],
                                         alerts: "silence: {missed_reports: 3, severity: warning, fold_into_parent: true}\n")
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        try publisher.publish("zigbee2mqtt/lampe-1", #"{"power":52}"#)
        try publisher.publish("zigbee2mqtt/lampe-2", #"{"power":51}"#)
        try publisher.waitForAcknowledgements(2)
        try eventually(timeout: 30, "the cabinet's alert") { alertStates(fixture) == ["ARMOIRE-A silence-enfants open"] }
        // Lamp 1 reports again, every half second, while lamp 2 stays silent.
        try eventually(timeout: 30, "the cabinet resolved and lamp 2's own alert open") {
            try publisher.publish("zigbee2mqtt/lampe-1", #"{"power":52}"#)
            return alertStates(fixture) == ["ARMOIRE-A silence-enfants resolved", "PL-2 silence open"]
        }
        #expect(fixture.gatewayLog.contains("alerte ouverte : Tous les équipements sous Armoire A (rue des Lilas) sont silencieux (2 actifs)"))
        try fixture.stopGateway()
    }
}
