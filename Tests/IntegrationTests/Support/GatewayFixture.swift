import Foundation
import SQLiteDB
#if canImport(Glibc)
import Glibc
#endif

/// A gateway installation in a temporary folder: configuration, inventory, profiles, a real broker, and the
/// real `pmc-gateway` executable run as a child process.
final class GatewayFixture: @unchecked Sendable {
    let directory: String
    let broker: MosquittoBroker
    private let ownsBroker: Bool
    private(set) var gateway: ChildProcess?
    let databasePath: String
    var configPath: String { directory + "/config.yaml" }
    var gatewayLogPath: String { directory + "/gateway.log" }
    /// The gateway's log so far (all its runs).
    var gatewayLog: String { (try? String(contentsOfFile: gatewayLogPath, encoding: .utf8)) ?? "" }

    /// The `pmc-gateway` executable built next to the test bundle (override with PMC_GATEWAY_BIN).
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["PMC_GATEWAY_BIN"] { return path }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<4 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("pmc-gateway").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/pmc-gateway").path
    }

    /// - Parameters:
    ///   - extraMQTT: more lines of the `mqtt:` section, each indented by two spaces (`  protocol: "5"`).
    ///   - host: `mqtt.host`.
    ///   - database, journal: `storage` paths, relative to the fixture's folder.
    ///   - broker: a broker to share with another fixture (two gateways, one broker); by default the fixture
    ///     starts its own, configured by `brokerListenerOptions` and `brokerAccess` (see `MosquittoBroker`).
    init(name: String, subscriptions: String, inventory: String, profiles: [String: String], extraMQTT: String = "",
         host: String = "127.0.0.1", database: String = "var/gateway.sqlite", journal: String = "var/journal",
         broker sharedBroker: MosquittoBroker? = nil, brokerListenerOptions: String = "",
         brokerAccess: String = "allow_anonymous true") throws {
        directory = NSTemporaryDirectory() + "pmc-\(name)-\(UUID().uuidString.prefix(8))"
        databasePath = directory + "/" + database
        try FileManager.default.createDirectory(atPath: directory + "/profiles", withIntermediateDirectories: true)
        if let sharedBroker {
            broker = sharedBroker
            ownsBroker = false
        } else {
            try FileManager.default.createDirectory(atPath: directory + "/broker", withIntermediateDirectories: true)
            broker = try MosquittoBroker(directory: directory + "/broker", listenerOptions: brokerListenerOptions, access: brokerAccess)
            ownsBroker = true
        }
        for (id, yaml) in profiles {
            try yaml.write(toFile: directory + "/profiles/\(id).yaml", atomically: true, encoding: .utf8)
        }
        try inventory.write(toFile: directory + "/inventory.yaml", atomically: true, encoding: .utf8)
        let config = """
            commune:
              name: Testville
              timezone: Europe/Paris
            mqtt:
              host: \(host)
              port: \(broker.port)
              client_id: pmc-gateway-\(name)
              keepalive: 10
              reconnect_min: 1
              reconnect_max: 2
            \(extraMQTT)
            subscriptions:
            \(subscriptions)
            storage:
              database: \(database)
              journal: \(journal)
            inventory: inventory.yaml
            profiles: profiles
            log_level: info
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    deinit {
        gateway?.kill(signal: SIGKILL)
        if ownsBroker { broker.stop() }
        if ProcessInfo.processInfo.environment["PMC_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Starts the gateway and waits until it is subscribed (its connection is visible in its log).
    /// - Parameters:
    ///   - environment: added to the gateway's environment (e.g. the variable named by `password_env`).
    ///   - waitUntilConnected: false to return once started, for a gateway that cannot connect yet.
    func startGateway(environment: [String: String] = [:], waitUntilConnected: Bool = true) throws {
        let connectedBefore = connectionCount()
        let process = try ChildProcess(executable: Self.executable, arguments: ["run", "--config", configPath],
                                       logPath: gatewayLogPath, environment: environment)
        gateway = process
        if waitUntilConnected { try waitForConnection(after: connectedBefore) }
    }

    /// Waits until the gateway's log shows more than `count` connections, then for its SUBACK.
    func waitForConnection(after count: Int, timeout: TimeInterval = 30) throws {
        try eventually(timeout: timeout, "gateway connected to the broker (log: \(gatewayLogPath))") {
            guard let process = gateway, process.isRunning else { throw TestFailure("gateway exited:\n\(gatewayLog.suffix(3000))") }
            return connectionCount() > count
        }
        usleep(200_000) // the SUBACK follows the CONNACK
    }

    /// How many times the gateway's log says it connected to the broker.
    func connectionCount() -> Int {
        gatewayLog.components(separatedBy: "connected to broker").count - 1
    }

    func killGateway() {
        gateway?.kill(signal: SIGKILL)
        gateway = nil
    }

    func stopGateway() throws {
        guard let gateway else { return }
        gateway.kill(signal: SIGTERM)
        guard gateway.waitForExit(timeout: 30) != nil else {
            gateway.kill(signal: SIGKILL)
            throw TestFailure("gateway did not stop within 30 s after SIGTERM")
        }
        self.gateway = nil
    }

    /// Runs a CLI command of the gateway and returns its standard output.
    func cli(_ arguments: [String]) throws -> String {
        let log = directory + "/cli-\(UUID().uuidString.prefix(6)).out"
        let process = try ChildProcess(executable: Self.executable, arguments: arguments, logPath: log)
        guard process.waitForExit(timeout: 60) != nil else { throw TestFailure("pmc-gateway \(arguments) did not finish") }
        return process.log
    }

    func query<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try Connection(path: databasePath, readOnly: true)
        return try body(connection)
    }

    func count(_ sql: String) -> Int {
        (try? query { Int(try $0.scalarInt(sql) ?? 0) }) ?? -1
    }
}
