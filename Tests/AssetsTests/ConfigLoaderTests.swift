import Foundation
import Testing
@testable import Assets

@Suite("Configuration loader")
struct ConfigLoaderTests {
    @Test("A complete configuration loads to exact values, with paths made absolute")
    func loadsValidConfiguration() throws {
        let path = TestSupport.fixture("config/valid.yaml")
        let folder = TestSupport.fixture("config")
        let config = try ConfigLoader.load(path: path, formats: TestSupport.formats)

        #expect(config.path == path)
        #expect(config.commune == Commune(name: "Saint-Exemple", timeZone: "Europe/Paris",
                                          coordinates: Coordinates(latitude: 45.1, longitude: 4.2)))
        #expect(config.mqtt == MQTTSettings(
            host: "broker.local", port: 8883, clientID: "gw-test", protocolVersion: .v5, keepAlive: 45,
            username: "gateway", passwordFile: "\(folder)/secrets/mqtt.pw", passwordEnvironment: nil,
            tls: TLSSettings(caFile: "\(folder)/secrets/ca.pem", certificateFile: "\(folder)/secrets/client.pem",
                             keyFile: "\(folder)/secrets/client.key", insecure: true),
            sharedGroup: "gw", sessionExpiry: 3_600, reconnectDelayMin: 2, reconnectDelayMax: 120))
        #expect(config.subscriptions == [
            Subscription(topic: "application/+/device/+/event/+", format: "chirpstack-v4"),
            Subscription(name: "zigbee", topic: "zigbee2mqtt/#", format: "zigbee2mqtt", options: ["base_topic": "zigbee2mqtt"]),
            Subscription(topic: "tele/+/SENSOR", format: "tasmota", options: ["full_topic": "%prefix%/%topic%/"]),
        ])
        #expect(config.storage == StorageSettings(database: "\(folder)/data/pmc.sqlite", journal: "/var/lib/pmc/journal",
                                                  syncJournal: true, rejectedPayloadLimit: 1_024))
        #expect(config.inventory == [TestSupport.fixture("inventory/main.yaml"), TestSupport.fixture("inventory/extra.yaml")])
        #expect(config.profiles == [TestSupport.fixture("profiles")])
        #expect(config.logLevel == "debug")
    }

    @Test("Omitted settings take their defaults; profiles default to 'devices' next to the configuration")
    func appliesDefaults() throws {
        let config = try ConfigLoader.load(path: TestSupport.fixture("config/minimal.yaml"), formats: TestSupport.formats)
        let folder = TestSupport.fixture("config")
        #expect(config.commune == Commune(name: "Minimal"))
        #expect(config.mqtt == MQTTSettings())
        #expect(config.subscriptions == [Subscription(topic: "#", format: "json")])
        #expect(config.subscriptions[0].name == "#")
        #expect(config.storage == StorageSettings(database: "\(folder)/var/pmc.sqlite", journal: "\(folder)/var/journal"))
        #expect(config.inventory == ["\(folder)/inventory.yaml"])
        #expect(config.profiles == ["\(folder)/devices"])
        #expect(config.logLevel == "info")
    }

    @Test("Relative paths resolve against a base folder; absolute and ~ paths are kept", arguments: [
        ("conf/gw.yaml", "/srv/pmc/conf/gw.yaml"),
        ("../devices", "/srv/devices"),
        ("./var/../var/pmc.sqlite", "/srv/pmc/var/pmc.sqlite"),
        ("/etc/pmc/gw.yaml", "/etc/pmc/gw.yaml"),
    ])
    func resolvesPaths(path: String, resolved: String) {
        #expect(FilePaths.resolve(path, relativeTo: "/srv/pmc") == resolved)
    }

    @Test("A home-relative path is expanded")
    func expandsHome() {
        #expect(FilePaths.resolve("~/pmc.yaml", relativeTo: "/srv") == FilePaths.resolve(NSHomeDirectory() + "/pmc.yaml"))
    }

    @Test("A password written in the configuration is refused at its line")
    func refusesPassword() throws {
        let folder = try TestSupport.folder(["gw.yaml": TestSupport.baseConfig + """
            mqtt:
              username: gw
              password: hunter2
            """])
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(folder)/gw.yaml", formats: TestSupport.formats) }
        #expect(issues.count == 1)
        #expect(issues.first?.file == "\(folder)/gw.yaml")
        #expect(issues.first?.line == 7)
        #expect(issues.first?.message.contains("password_file") == true)
        #expect(issues.first?.message.contains("password_env") == true)
    }

    @Test("Webhooks are read with their names and timeouts; a URL that is not http(s) or a repeated name is refused at its line")
    func webhooks() throws {
        let good = try TestSupport.folder(["gw.yaml": TestSupport.baseConfig + """
            notifications:
              webhooks:
                - {name: astreinte, url: "https://tickets.mairie.example/hooks/pmc", timeout: 5}
                - {name: chat, url: "http://127.0.0.1:8080/alertes"}
            """])
        let config = try ConfigLoader.load(path: "\(good)/gw.yaml", formats: TestSupport.formats)
        #expect(config.webhooks == [WebhookSettings(name: "astreinte", url: "https://tickets.mairie.example/hooks/pmc", timeout: 5),
                                    WebhookSettings(name: "chat", url: "http://127.0.0.1:8080/alertes", timeout: 10)])
        let bad = try TestSupport.folder(["gw.yaml": TestSupport.baseConfig + """
            notifications:
              webhooks:
                - {name: a, url: "ftp://example.org/x"}
                - {name: b, url: "http://127.0.0.1/x"}
                - {name: b, url: "http://127.0.0.1/y"}
            """])
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(bad)/gw.yaml", formats: TestSupport.formats) }
        #expect(issues.map(\.line) == [7, 9])
        #expect(issues.first?.message.contains("not an http:// or https:// URL") == true)
        #expect(issues.last?.message.contains("already named 'b'") == true)
    }

    @Test("The MQTT alert channel: its topic prefix, name and timeout, in the list of channels; a wildcard topic is refused at its line")
    func mqttAlerts() throws {
        let good = try TestSupport.folder(["gw.yaml": TestSupport.baseConfig + """
            notifications:
              webhooks:
                - {name: astreinte, url: "https://tickets.mairie.example/hooks/pmc"}
              mqtt: {name: supervision, topic: "communes/saint-exemple/alertes"}
            """])
        let config = try ConfigLoader.load(path: "\(good)/gw.yaml", formats: TestSupport.formats)
        #expect(config.mqttAlerts == MQTTAlertSettings(name: "supervision", topic: "communes/saint-exemple/alertes", timeout: 10))
        #expect(config.notificationChannels == ["astreinte", "supervision"])
        let bad = try TestSupport.folder(["gw.yaml": TestSupport.baseConfig + """
            notifications:
              mqtt:
                topic: "communes/+/alertes"
            """])
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(bad)/gw.yaml", formats: TestSupport.formats) }
        #expect(issues.map(\.line) == [7])
        #expect(issues.first?.message.contains("must be a plain topic prefix") == true)
    }

    @Test("The e-mail channel: relay, sender and recipients; no recipients or a malformed address refused")
    func emailAlerts() throws {
        let good = try TestSupport.folder(["gw.yaml": TestSupport.baseConfig + """
            notifications:
              email: {host: smtp.mairie.example, from: pmc@mairie.example, to: [technique@mairie.example]}
            """])
        let config = try ConfigLoader.load(path: "\(good)/gw.yaml", formats: TestSupport.formats)
        #expect(config.emailAlerts == EmailAlertSettings(name: "courriel", host: "smtp.mairie.example", port: 25, from: "pmc@mairie.example",
                                                         to: ["technique@mairie.example"], timeout: 10))
        #expect(config.notificationChannels == ["courriel"])
        for (yaml, expected) in [("email: {host: h, from: pmc@m.fr}", "needs 'to'"), ("email: {host: h, from: pmc, to: [a@m.fr]}", "'pmc' is not an e-mail address")] {
            let bad = try TestSupport.folder(["gw.yaml": TestSupport.baseConfig + "notifications:\n  \(yaml)\n"])
            let issues = TestSupport.issues { try ConfigLoader.load(path: "\(bad)/gw.yaml", formats: TestSupport.formats) }
            #expect(issues.count == 1 && issues.first?.message.contains(expected) == true, "\(issues)")
        }
    }

    @Test("Unknown formats and options are reported at their lines, with suggestions")
    func unknownFormatsAndOptions() throws {
        let folder = try TestSupport.folder(["gw.yaml": """
            commune: {name: Test}
            subscriptions:
              - topic: "a/#"
                format: tasmotta
              - topic: "b/#"
                format: zigbee2mqtt
                options: {base_topik: z2m}
              - {topic: "c/#", format: chirpstack-v4, options: {prefix: x}}
            inventory: inventory.yaml
            """])
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(folder)/gw.yaml", formats: TestSupport.formats) }
        #expect(issues.map(\.line) == [4, 7, 8])
        #expect(issues[0].message.hasPrefix("unknown format 'tasmotta' (did you mean 'tasmota'? expected one of: chirpstack-v3, chirpstack-v4"))
        #expect(issues[1].message == "unknown option 'base_topik' in format 'zigbee2mqtt' (did you mean 'base_topic'? expected one of: base_topic)")
        #expect(issues[2].message == "format 'chirpstack-v4' takes no options: remove 'prefix'")
    }

    @Test("Port, keep-alive, time zone, protocol and log level are validated")
    func validatesValues() throws {
        let folder = try TestSupport.folder(["gw.yaml": """
            commune: {name: Test, timezone: Europe/Pariss}
            mqtt:
              port: 70000
              keepalive: 2
              protocol: "3.1"
              reconnect_min: 30
              reconnect_max: 10
            subscriptions:
              - {topic: "a/#", format: json}
            inventory: inventory.yaml
            log_level: verbose
            """])
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(folder)/gw.yaml", formats: TestSupport.formats) }
        #expect(issues.map(\.line) == [1, 3, 4, 5, 7, 11])
        #expect(issues[0].message.contains("unknown time zone 'Europe/Pariss'"))
        #expect(issues[1].message == "'port' must be between 1 and 65535, got 70000")
        #expect(issues[2].message == "'keepalive' must be between 5 and 65535 seconds, got 2")
        #expect(issues[3].message == "unknown MQTT protocol version '3.1' (expected \"3.1.1\" or \"5\")")
        #expect(issues[4].message.contains("'reconnect_max' (10 s) is shorter than 'reconnect_min' (30 s)"))
        #expect(issues[5].message.hasPrefix("unknown log level 'verbose'"))
    }

    @Test("Invalid topic filters and duplicate subscriptions are reported at their lines")
    func topicsAndDuplicates() throws {
        let folder = try TestSupport.folder(["gw.yaml": """
            commune: {name: Test}
            subscriptions:
              - {topic: "tele/#/SENSOR", format: tasmota}
              - {topic: "zigbee2mqtt/#", format: zigbee2mqtt}
              - {topic: "zigbee2mqtt/#", format: json}
            inventory: inventory.yaml
            """])
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(folder)/gw.yaml", formats: TestSupport.formats) }
        #expect(issues.count == 2)
        #expect(issues[0].line == 3)
        #expect(issues[0].message == "invalid topic filter 'tele/#/SENSOR': '#' must be the last level (it matches everything below it)")
        #expect(issues[1].line == 5)
        #expect(issues[1].message == "topic 'zigbee2mqtt/#' is already subscribed at line 4: remove one")
    }

    @Test("Unknown keys, missing sections and missing files are all reported together")
    func collectsEveryIssue() throws {
        let folder = try TestSupport.folder(["gw.yaml": """
            mqt: {host: x}
            mqtt:
              hots: broker
              username: gw
              password_file: secrets/missing.pw
              tls: {cert_file: client.pem}
            storage: {rejected_payload_limit: -1}
            """])
        let file = "\(folder)/gw.yaml"
        let issues = TestSupport.issues { try ConfigLoader.load(path: file, formats: TestSupport.formats) }
        #expect(issues.allSatisfy { $0.file == file })
        #expect(issues.containing("unknown key 'mqt' in the configuration (did you mean 'mqtt'?").first?.line == 1)
        #expect(issues.containing("unknown key 'hots' in mqtt (did you mean 'host'?").first?.line == 3)
        #expect(issues.containing("password file not found: \(folder)/secrets/missing.pw").first?.line == 5)
        #expect(issues.containing("missing 'ca_file' in mqtt.tls").first?.line == 6)
        #expect(issues.containing("'cert_file' not found").first?.line == 6)
        #expect(issues.containing("client authentication needs both 'cert_file' and 'key_file'").first?.line == 6)
        #expect(issues.containing("'rejected_payload_limit' must be between 0 and 16777216 bytes").first?.line == 7)
        #expect(issues.containing("missing 'commune'").count == 1)
        #expect(issues.containing("missing 'subscriptions'").count == 1)
        #expect(issues.containing("missing 'inventory'").count == 1)
        #expect(issues.count == 10)
    }

    @Test("Password sources are exclusive and need a user name")
    func passwordSources() throws {
        let folder = try TestSupport.folder(["gw.yaml": TestSupport.baseConfig + """
            mqtt:
              password_env: PMC_MQTT_PASSWORD
              password_file: pw
            """, "pw": "secret\n"])
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(folder)/gw.yaml", formats: TestSupport.formats) }
        #expect(issues.map(\.message) == [
            "set either 'password_file' or 'password_env', not both",
            "a password is configured but no 'username': add the broker user name",
        ])
    }

    @Test("A YAML syntax error is reported at its line")
    func syntaxError() throws {
        let folder = try TestSupport.folder(["gw.yaml": """
            commune:
              name: Test
             timezone: Europe/Paris
            """])
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(folder)/gw.yaml", formats: TestSupport.formats) }
        #expect(issues.count == 1)
        #expect(issues.first?.line == 3)
        #expect(issues.first?.message.hasPrefix("invalid YAML") == true)
    }

    @Test("A duplicated key is reported instead of silently keeping one value")
    func duplicateKey() throws {
        let folder = try TestSupport.folder(["gw.yaml": TestSupport.baseConfig + """
            log_level: info
            log_level: debug
            """])
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(folder)/gw.yaml", formats: TestSupport.formats) }
        #expect(issues.count == 1)
        #expect(issues.first?.message == "key 'log_level' appears more than once in the same mapping: keep only one")
    }

    @Test("A missing configuration file is reported without a line")
    func missingFile() {
        let issues = TestSupport.issues { try ConfigLoader.load(path: "/nonexistent/pmc.yaml", formats: TestSupport.formats) }
        #expect(issues.count == 1)
        #expect(issues.first?.file == "/nonexistent/pmc.yaml")
        #expect(issues.first?.line == nil)
        #expect(issues.first?.message.hasPrefix("configuration file not found") == true)
    }

    @Test("Retention and disk budget are read; monthly values kept under 5 years are refused")
    func retention() throws {
        let folder = try TestSupport.folder(["gw.yaml": """
            commune: {name: Test}
            subscriptions: [{topic: "a/#", format: json}]
            storage:
              disk_budget_mb: 4096
              retention: {raw_days: 90, hourly_days: 365, rejected_days: 30}
            inventory: inventory.yaml
            """, "short.yaml": """
            commune: {name: Test}
            subscriptions: [{topic: "a/#", format: json}]
            storage:
              retention:
                monthly_days: 365
            inventory: inventory.yaml
            """])
        let config = try ConfigLoader.load(path: "\(folder)/gw.yaml", formats: TestSupport.formats)
        #expect(config.storage.diskBudgetMB == 4096)
        #expect(config.storage.retention == RetentionPolicy(rawDays: 90, hourlyDays: 365, dailyDays: 3_660, monthlyDays: 0, rejectedDays: 30))
        let issues = TestSupport.issues { try ConfigLoader.load(path: "\(folder)/short.yaml", formats: TestSupport.formats) }
        #expect(issues.map(\.line) == [5])
        #expect(issues.first?.message.contains("at least 1827 days") == true)
    }
}
