import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The MQTT connection features the gateway claims, against a real Mosquitto: user name and password (from a file
/// or the environment), refusals, TLS with server verification and client certificates, TLS failures, MQTT 5
/// shared subscriptions and MQTT 5 session expiry. Each test ends by counting what was stored.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct MQTTConnectionTests {
    /// A temporary folder for broker-side files (password file, certificates), removed at the end.
    final class Folder {
        let path: String
        init(_ name: String) throws {
            path = NSTemporaryDirectory() + "pmc-\(name)-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit {
            if ProcessInfo.processInfo.environment["PMC_KEEP_TEST_DIRS"] == nil { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    static let gatewayPassword = "correct horse battery staple"
    static let publisherPassword = "publisher-secret"

    /// `mosquitto_passwd -b`: adds or updates a user in a Mosquitto password file.
    static func setPassword(_ file: String, user: String, password: String) throws {
        let tool = ["/usr/bin/mosquitto_passwd", "/usr/local/bin/mosquitto_passwd"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let tool else { throw TestFailure("mosquitto_passwd not found: install the Debian package mosquitto") }
        let create = FileManager.default.fileExists(atPath: file) ? [] : ["-c"]
        let process = try ChildProcess(executable: tool, arguments: create + ["-b", file, user, password], logPath: file + ".log")
        guard process.waitForExit(timeout: 30) == 0 else { throw TestFailure("mosquitto_passwd failed: \(process.log)") }
    }

    /// A broker without anonymous access: users `gateway` and `publisher`.
    static func passwordBroker(_ folder: Folder) throws -> MosquittoBroker {
        let passwords = folder.path + "/passwd"
        try setPassword(passwords, user: "gateway", password: gatewayPassword)
        try setPassword(passwords, user: "publisher", password: publisherPassword)
        try FileManager.default.createDirectory(atPath: folder.path + "/broker", withIntermediateDirectories: true)
        return try MosquittoBroker(directory: folder.path + "/broker", access: "allow_anonymous false\npassword_file \(passwords)")
    }

    static func fixture(_ name: String, extraMQTT: String = "", broker: MosquittoBroker? = nil, brokerListenerOptions: String = "",
                        brokerAccess: String = "allow_anonymous true", inventory: String = TestProfiles.inventory()) throws -> GatewayFixture {
        try GatewayFixture(name: name, subscriptions: TestProfiles.subscriptions, inventory: inventory, profiles: TestProfiles.all,
                           extraMQTT: extraMQTT, broker: broker, brokerListenerOptions: brokerListenerOptions, brokerAccess: brokerAccess)
    }

    /// `count` temperatures of device `sonde-42`, one minute apart from `first`: one reading each.
    static func publishTemperatures(_ publisher: TestPublisher, count: Int, first: Int = 0) throws {
        let acknowledgedBefore = publisher.acknowledgedCount
        for index in first..<(first + count) {
            try publisher.publish("capteurs/sonde-42/data", #"{"ts":\#(1_763_631_000_000 + index * 60_000),"temperature":\#(15 + index % 10)}"#)
        }
        try publisher.waitForAcknowledgements(acknowledgedBefore + count)
    }

    static let readingCount = "SELECT count(*) FROM readings"

    // MARK: - User name and password

    @Test("username + password_file: a broker without anonymous access accepts the gateway, readings are stored")
    func passwordFile() throws {
        let folder = try Folder("passwd-file")
        let broker = try Self.passwordBroker(folder)
        try "\(Self.gatewayPassword)\nsecond line is ignored\n".write(toFile: folder.path + "/gateway.password", atomically: true, encoding: .utf8)
        let fixture = try Self.fixture("pwfile", extraMQTT: "  username: gateway\n  password_file: \(folder.path)/gateway.password", broker: broker)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: broker.port, username: "publisher", password: Self.publisherPassword)
        try Self.publishTemperatures(publisher, count: 10)
        try eventually(timeout: 20, "10 readings stored") { fixture.count(Self.readingCount) == 10 }
        #expect(fixture.count(Self.readingCount) == 10)
        #expect(!fixture.gatewayLog.contains("refused"))
        #expect(broker.log.contains("u'gateway'"))
    }

    @Test("username + password_env: the password comes from the gateway's environment, readings are stored")
    func passwordEnvironment() throws {
        let folder = try Folder("passwd-env")
        let broker = try Self.passwordBroker(folder)
        let fixture = try Self.fixture("pwenv", extraMQTT: "  username: gateway\n  password_env: PMC_TEST_MQTT_PASSWORD", broker: broker)
        try fixture.startGateway(environment: ["PMC_TEST_MQTT_PASSWORD": Self.gatewayPassword])
        let publisher = try TestPublisher(port: broker.port, username: "publisher", password: Self.publisherPassword)
        try Self.publishTemperatures(publisher, count: 10)
        try eventually(timeout: 20, "10 readings stored") { fixture.count(Self.readingCount) == 10 }
        #expect(fixture.count(Self.readingCount) == 10)
        #expect(broker.log.contains("u'gateway'"))
    }

    @Test("wrong password: the refusal is logged clearly, the gateway keeps retrying and connects once the broker accepts the password",
          arguments: ["3.1.1", "5"])
    func wrongPasswordIsRetried(protocolVersion: String) throws {
        let folder = try Folder("passwd-wrong")
        let broker = try Self.passwordBroker(folder)
        try "not-the-password\n".write(toFile: folder.path + "/gateway.password", atomically: true, encoding: .utf8)
        let fixture = try Self.fixture("pwwrong", extraMQTT: """
              protocol: "\(protocolVersion)"
              username: gateway
              password_file: \(folder.path)/gateway.password
            """, broker: broker)
        try fixture.startGateway(waitUntilConnected: false)
        try eventually(timeout: 30, "two refusals logged (log: \(fixture.gatewayLogPath))") {
            guard fixture.gateway?.isRunning == true else { throw TestFailure("gateway exited:\n\(fixture.gatewayLog.suffix(3000))") }
            return fixture.gatewayLog.components(separatedBy: "broker refused the connection").count - 1 >= 2
        }
        let log = fixture.gatewayLog
        #expect(log.lowercased().contains("not authori"))
        #expect(log.contains("check mqtt.username"))
        #expect(log.contains("user 'gateway'"))
        #expect(!log.contains("connected to broker"))
        #expect(!log.contains(Self.gatewayPassword) && !log.contains("not-the-password"))
        #expect(fixture.gateway?.isRunning == true)

        // The administrator sets the broker's password to the one the gateway has: it gets in at its next try.
        try Self.setPassword(folder.path + "/passwd", user: "gateway", password: "not-the-password")
        broker.reload()
        try fixture.waitForConnection(after: 0)
        let publisher = try TestPublisher(port: broker.port, username: "publisher", password: Self.publisherPassword)
        try Self.publishTemperatures(publisher, count: 5)
        try eventually(timeout: 20, "5 readings stored") { fixture.count(Self.readingCount) == 5 }
        #expect(fixture.count(Self.readingCount) == 5)
    }

    @Test("a gateway the broker keeps refusing stops promptly and cleanly on SIGTERM")
    func refusedGatewayStopsCleanly() throws {
        let folder = try Folder("passwd-stop")
        let broker = try Self.passwordBroker(folder)
        let fixture = try Self.fixture("pwstop", extraMQTT: "  protocol: \"5\"\n  username: gateway\n  password_env: PMC_TEST_MQTT_PASSWORD", broker: broker)
        try fixture.startGateway(environment: ["PMC_TEST_MQTT_PASSWORD": "wrong"], waitUntilConnected: false)
        try eventually(timeout: 30, "a refusal logged") { fixture.gatewayLog.contains("broker refused the connection") }
        guard let process = fixture.gateway else { throw TestFailure("no gateway") }
        let started = Date()
        process.kill(signal: SIGTERM)
        let status = process.waitForExit(timeout: 30)
        if status == nil { process.kill(signal: SIGKILL) }
        #expect(status == 0, "exit status \(String(describing: status))")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(fixture.gatewayLog.contains("ingest stopped cleanly"))
    }

    // MARK: - TLS

    @Test("TLS: the gateway verifies the broker's certificate against ca_file, readings are stored")
    func tlsServerVerification() throws {
        let folder = try Folder("tls")
        let certificates = try TestCertificates(directory: folder.path)
        let fixture = try Self.fixture("tls", extraMQTT: "  tls: {ca_file: \(certificates.caFile)}",
                                       brokerListenerOptions: certificates.listenerOptions())
        try fixture.startGateway()
        #expect(fixture.gatewayLog.contains("tls=true"))
        let publisher = try TestPublisher(port: fixture.broker.port, tls: .init(caFile: certificates.caFile))
        try Self.publishTemperatures(publisher, count: 10)
        try eventually(timeout: 20, "10 readings stored") { fixture.count(Self.readingCount) == 10 }
        #expect(fixture.count(Self.readingCount) == 10)
    }

    @Test("TLS client certificate: a broker requiring one accepts the gateway's, takes its CN as user name, readings are stored")
    func tlsClientCertificate() throws {
        let folder = try Folder("mtls")
        let certificates = try TestCertificates(directory: folder.path)
        let fixture = try Self.fixture("mtls", extraMQTT: """
              tls: {ca_file: \(certificates.caFile), cert_file: \(certificates.gatewayCertificate), key_file: \(certificates.gatewayKey)}
            """, brokerListenerOptions: certificates.listenerOptions(requireClientCertificate: true), brokerAccess: "allow_anonymous false")
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port, tls: .init(caFile: certificates.caFile,
                                                                             certificateFile: certificates.publisherCertificate,
                                                                             keyFile: certificates.publisherKey))
        try Self.publishTemperatures(publisher, count: 10)
        try eventually(timeout: 20, "10 readings stored") { fixture.count(Self.readingCount) == 10 }
        #expect(fixture.count(Self.readingCount) == 10)
        #expect(fixture.broker.log.contains("u'pmc-gateway'"))
    }

    enum TLSFault: String, CaseIterable, CustomTestStringConvertible {
        case untrustedBrokerCertificate = "broker certificate signed by another CA"
        case missingClientCertificate = "no client certificate for a broker that requires one"
        var testDescription: String { rawValue }
    }

    @Test("TLS failure: logged with OpenSSL's reason, retried, and the gateway connects once the broker is fixed",
          arguments: TLSFault.allCases)
    func tlsFailureIsRetried(fault: TLSFault) throws {
        let folder = try Folder("tls-fault")
        let certificates = try TestCertificates(directory: folder.path)
        let broken = fault == .untrustedBrokerCertificate
            ? certificates.listenerOptions(untrustedServer: true)
            : certificates.listenerOptions(requireClientCertificate: true)
        let fixture = try Self.fixture("tlsfault", extraMQTT: "  tls: {ca_file: \(certificates.caFile)}", brokerListenerOptions: broken)
        try fixture.startGateway(waitUntilConnected: false)
        let failure = "TLS connection to the broker failed"
        try eventually(timeout: 30, "two TLS failures logged (log: \(fixture.gatewayLogPath))") {
            guard fixture.gateway?.isRunning == true else { throw TestFailure("gateway exited:\n\(fixture.gatewayLog.suffix(3000))") }
            return fixture.gatewayLog.components(separatedBy: failure).count - 1 >= 2
        }
        let log = fixture.gatewayLog
        switch fault {
        case .untrustedBrokerCertificate: #expect(log.contains("certificate verify failed"))
        case .missingClientCertificate: #expect(log.contains("certificate required"))
        }
        #expect(log.contains("mqtt.tls.ca_file"))
        #expect(!log.contains("connected to broker"))

        // The broker is given its proper certificate (or stops requiring a client one): the gateway gets in.
        fixture.broker.listenerOptions = certificates.listenerOptions()
        try fixture.broker.restart()
        try fixture.waitForConnection(after: 0)
        let publisher = try TestPublisher(port: fixture.broker.port, tls: .init(caFile: certificates.caFile))
        try Self.publishTemperatures(publisher, count: 5)
        try eventually(timeout: 20, "5 readings stored") { fixture.count(Self.readingCount) == 5 }
        #expect(fixture.count(Self.readingCount) == 5)
    }

    // MARK: - Shared subscription and MQTT 5 session

    @Test("shared subscription: two gateways split one stream of 2,000 messages, every reading stored exactly once",
          arguments: ["5", "3.1.1"])
    func sharedSubscriptionSplitsTheStream(protocolVersion: String) throws {
        let total = 2_000
        let devices = 60
        let mqtt = "  protocol: \"\(protocolVersion)\"\n  shared_group: gateways"
        let first = try Self.fixture("shared-a", extraMQTT: mqtt, inventory: DurabilityTests.inventory(devices: devices))
        let second = try Self.fixture("shared-b", extraMQTT: mqtt, broker: first.broker, inventory: DurabilityTests.inventory(devices: devices))
        #expect(first.databasePath != second.databasePath)
        try first.startGateway()
        try second.startGateway()
        #expect(first.gatewayLog.contains("$share/gateways/application/+/device/+/event/+"))

        let publisher = try TestPublisher(port: first.broker.port)
        try DurabilityTests.publishLoad(publisher, count: total, devices: devices)
        try publisher.waitForAcknowledgements(total, timeout: 120)
        try eventually(timeout: 120, "\(total) readings stored across both gateways") {
            first.count(DurabilityTests.sequenceCount) + second.count(DurabilityTests.sequenceCount) >= total
        }
        usleep(500_000)

        func sequences(_ fixture: GatewayFixture) throws -> [Int] {
            try fixture.query { db in
                try db.prepare("SELECT r.value FROM readings r JOIN series s ON s.id = r.series_id WHERE s.metric = 'sequence'").map { Int($0.double(0)) }
            }
        }
        let a = try sequences(first)
        let b = try sequences(second)
        #expect(a.count > 0 && b.count > 0, "each gateway stored part of the stream: \(a.count) + \(b.count)")
        #expect(a.count + b.count == total)
        #expect(Set(a).isDisjoint(with: Set(b)), "no message stored by both gateways")
        #expect(Set(a).union(b) == Set(0..<total), "every message stored once")
        #expect(first.gateway?.isRunning == true && second.gateway?.isRunning == true)
    }

    @Test("MQTT 5 session_expiry: the session survives a broker restart and a gateway restart, messages sent meanwhile are stored")
    func mqtt5SessionSurvivesRestarts() throws {
        let fixture = try Self.fixture("session5", extraMQTT: "  protocol: \"5\"\n  session_expiry: 3600")
        try fixture.startGateway()
        // A broker restart: the gateway reconnects (libmosquitto resends the session expiry with each CONNECT).
        try fixture.broker.restart()
        try fixture.waitForConnection(after: 1)

        try fixture.stopGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        try Self.publishTemperatures(publisher, count: 200)
        try fixture.startGateway()
        try eventually(timeout: 60, "the 200 messages queued by the broker stored") { fixture.count(Self.readingCount) >= 200 }
        usleep(300_000)
        #expect(fixture.count(Self.readingCount) == 200)
        #expect(fixture.gatewayLog.contains("protocol=5"))
    }

    @Test("MQTT 5 session_expiry 0: the broker drops the session at disconnect, so the expiry the gateway sends is what keeps it")
    func mqtt5ZeroExpiryDropsTheSession() throws {
        let fixture = try Self.fixture("session0", extraMQTT: "  protocol: \"5\"\n  session_expiry: 0")
        try fixture.startGateway()
        try fixture.stopGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        try Self.publishTemperatures(publisher, count: 20)  // nobody subscribed: dropped by the broker
        try fixture.startGateway()
        try Self.publishTemperatures(publisher, count: 1, first: 100)
        try eventually(timeout: 20, "the message sent after the restart stored") { fixture.count(Self.readingCount) >= 1 }
        usleep(500_000)
        #expect(fixture.count(Self.readingCount) == 1)
    }
}
