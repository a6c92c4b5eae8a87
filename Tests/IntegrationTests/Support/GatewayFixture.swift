import Foundation
import SQLiteDB
import Storage
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
    /// Connections in the log when the current gateway process was started.
    private var connectionsAtStart = 0
    let databasePath: String
    /// Run at teardown after the gateway is killed and before the folder is removed (e.g. unmount a disk).
    var onTeardown: [() -> Void] = []
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
    ///   - alerts: the contents of an alert rules file, named by the configuration's `alerts:`.
    ///   - extraConfig: more top-level lines of the configuration (`notifications: …`).
    init(name: String, subscriptions: String, inventory: String, profiles: [String: String], extraMQTT: String = "",
         host: String = "127.0.0.1", database: String = "var/gateway.sqlite", journal: String = "var/journal",
         broker sharedBroker: MosquittoBroker? = nil, brokerListenerOptions: String = "",
         brokerAccess: String = "allow_anonymous true", brokerQueue: BrokerQueueSettings = .unlimited, alerts: String? = nil,
         extraConfig: String = "") throws {
        directory = NSTemporaryDirectory() + "pmc-\(name)-\(UUID().uuidString.prefix(8))"
        databasePath = directory + "/" + database
        try FileManager.default.createDirectory(atPath: directory + "/profiles", withIntermediateDirectories: true)
        if let sharedBroker {
            broker = sharedBroker
            ownsBroker = false
        } else {
            try FileManager.default.createDirectory(atPath: directory + "/broker", withIntermediateDirectories: true)
            broker = try MosquittoBroker(directory: directory + "/broker", listenerOptions: brokerListenerOptions, access: brokerAccess,
                                         queue: brokerQueue)
            ownsBroker = true
        }
        for (id, yaml) in profiles {
            try yaml.write(toFile: directory + "/profiles/\(id).yaml", atomically: true, encoding: .utf8)
        }
        try inventory.write(toFile: directory + "/inventory.yaml", atomically: true, encoding: .utf8)
        if let alerts { try alerts.write(toFile: directory + "/alerts.yaml", atomically: true, encoding: .utf8) }
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
              # Tests publish readings at fixed past dates: keep everything, whatever day the tests run.
              retention: {raw_days: 0, hourly_days: 0, daily_days: 0, rejected_days: 0}
            inventory: inventory.yaml
            profiles: profiles
            \(alerts == nil ? "" : "alerts: [alerts.yaml]")
            \(extraConfig)
            log_level: info
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    deinit {
        gateway?.kill(signal: SIGKILL)
        if ownsBroker { broker.stop() }
        for teardown in onTeardown { teardown() }
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
        connectionsAtStart = connectedBefore
        if waitUntilConnected { try waitForConnection(after: connectedBefore) }
    }

    /// Waits until the gateway process started last has connected (at least once).
    func waitUntilConnected(timeout: TimeInterval = 30) throws {
        try waitForConnection(after: connectionsAtStart, timeout: timeout)
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
        let connection = try Schema.openForReading(path: databasePath)
        return try body(connection)
    }

    func count(_ sql: String) -> Int {
        (try? query { Int(try $0.scalarInt(sql) ?? 0) }) ?? -1
    }

    /// The ingest counters (`pmc-gateway stats`), by name.
    func counters() throws -> [String: Int64] {
        try query { db in
            try db.prepare("SELECT name, value FROM ingest_counters").map { ($0.string(0), $0.int(1)) }
        }.reduce(into: [String: Int64]()) { $0[$1.0] = $1.1 }
    }

    /// How many readings of the metric `sequence` each sequence number has (see `SequencedLoad`).
    func storedSequences() throws -> [Int: Int] {
        try query { db in
            try db.prepare("""
                SELECT CAST(r.value AS INTEGER), count(*) FROM readings r JOIN series s ON s.id = r.series_id
                WHERE s.metric = 'sequence' GROUP BY 1
                """).map { (Int($0.int(0)), Int($0.int(1))) }
        }.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
    }

    /// `PRAGMA integrity_check` of the database: `["ok"]` when it is sound.
    func integrityCheck() throws -> [String] {
        try query { db in try db.prepare("PRAGMA integrity_check").map { $0.string(0) } }
    }

    /// The rollup periods (1 hour, 2 day, 3 month) whose counts disagree with the readings for some series: for
    /// every series the counts of each period add up to its number of readings. Empty when they all agree (or
    /// when the database has no rollups).
    func rollupMismatches() throws -> [String] {
        try query { db in
            guard try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'rollups'") == 1 else { return [] }
            return try (1...3).compactMap { period -> String? in
                let rollups = period == 1 ? "hourly_rollups u WHERE" : "rollups u WHERE u.period = \(period) AND"
                let wrong = try db.scalarInt("""
                    SELECT count(*) FROM series s WHERE (SELECT count(*) FROM readings r WHERE r.series_id = s.id)
                        != coalesce((SELECT sum(count) FROM \(rollups) u.series_id = s.id), 0)
                    """) ?? 0
                return wrong == 0 ? nil : "period \(period): \(wrong) series"
            }
        }
    }

    /// The running gateway's memory, from `/proc/PID/status`: resident size and its anonymous part (the heap;
    /// the rest is mapped files such as the journal's active segment), in kB.
    func gatewayMemory() -> (residentKB: Int, anonymousKB: Int)? {
        guard let pid = gateway?.pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        }
        guard let resident = field("VmRSS"), let anonymous = field("RssAnon") else { return nil }
        return (resident, anonymous)
    }
}

/// Samples the running gateway's memory from its own thread, every `interval`, until stopped.
final class MemorySampler: @unchecked Sendable {
    struct Sample {
        let seconds: Double
        let residentKB: Int
        let anonymousKB: Int
    }

    private let lock = NSLock()
    private var collected: [Sample] = []
    private var stopRequested = false

    init(_ fixture: GatewayFixture, interval: TimeInterval = 0.25, timeout: TimeInterval = 600) {
        let start = Date()
        let thread = Thread { [self] in
            while !lock.withLock({ stopRequested }), -start.timeIntervalSinceNow < timeout {
                if let memory = fixture.gatewayMemory() {
                    let sample = Sample(seconds: -start.timeIntervalSinceNow, residentKB: memory.residentKB, anonymousKB: memory.anonymousKB)
                    lock.withLock { collected.append(sample) }
                }
                usleep(UInt32(interval * 1_000_000))
            }
        }
        thread.name = "test-memory-sampler"
        thread.start()
    }

    var samples: [Sample] { lock.withLock { collected } }

    func stop() { lock.withLock { stopRequested = true } }

    deinit { stop() }
}
