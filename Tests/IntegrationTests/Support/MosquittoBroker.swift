import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The queue limits a broker applies to persistent sessions: `mosquitto.conf` lines.
struct BrokerQueueSettings: Sendable, CustomStringConvertible {
    var lines: [String]

    /// Nothing dropped, 20 messages in flight: what most tests use.
    static let unlimited = BrokerQueueSettings(lines: ["max_queued_messages 0", "max_queued_bytes 0", "max_inflight_messages 20"])
    /// Mosquitto's built-in defaults (1,000 queued messages per client, 20 in flight): no line at all.
    static let mosquittoDefaults = BrokerQueueSettings(lines: [])

    /// The queue settings of the `deploy/mosquitto.conf` the project ships, read from that file.
    static func shipped() throws -> BrokerQueueSettings {
        let path = packageRoot + "/deploy/mosquitto.conf"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let keys = ["max_queued_messages", "max_queued_bytes", "max_inflight_messages"]
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { line in keys.contains { line.hasPrefix($0 + " ") } }
        guard lines.count == keys.count else { throw TestFailure("\(path) does not set \(keys.joined(separator: ", ")): \(lines)") }
        return BrokerQueueSettings(lines: lines)
    }

    var description: String { lines.isEmpty ? "mosquitto defaults" : lines.joined(separator: ", ") }
}

/// The package's root folder (this file is `Tests/IntegrationTests/Support/MosquittoBroker.swift`).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// A real Mosquitto broker on a free loopback port, with the project's queue settings.
final class MosquittoBroker: @unchecked Sendable {
    let port: Int
    let directory: String
    /// Queue limits for persistent sessions; take effect at the next `start()`/`restart()`.
    var queue: BrokerQueueSettings
    private(set) var process: ChildProcess?
    /// Lines right after the `listener` line, for that listener (`cafile`, `certfile`, `keyfile`,
    /// `require_certificate`…). Takes effect at the next `start()`/`restart()`.
    var listenerOptions: String
    /// Broker-wide lines replacing `allow_anonymous true` (e.g. `allow_anonymous false` + `password_file`).
    var access: String

    static var executable: String {
        for path in ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return "/usr/sbin/mosquitto"
    }

    init(directory: String, listenerOptions: String = "", access: String = "allow_anonymous true",
         queue: BrokerQueueSettings = .unlimited) throws {
        self.directory = directory
        self.port = try freePort()
        self.listenerOptions = listenerOptions
        self.access = access
        self.queue = queue
        try start()
    }

    private func writeConfig() throws {
        let config = """
            listener \(port) 127.0.0.1
            \(listenerOptions)
            \(access)
            # Started as root (CI), mosquitto would switch to the `mosquitto` user, who cannot write here.
            user \(ProcessInfo.processInfo.userName)
            persistence true
            persistence_location \(directory)/
            autosave_interval 1
            # Queue limits of persistent sessions (see BrokerQueueSettings).
            \(queue.lines.joined(separator: "\n"))
            log_dest file \(directory)/broker.log
            log_type error
            log_type warning
            log_type notice
            """
        try config.write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
    }

    func start() throws {
        try writeConfig()
        let process = try ChildProcess(executable: Self.executable, arguments: ["-c", directory + "/mosquitto.conf"],
                                       logPath: directory + "/broker.out")
        self.process = process
        try eventually(timeout: 10, "mosquitto listening on \(port)") {
            guard process.isRunning else { throw TestFailure("mosquitto exited:\n\(process.log.suffix(2000))\n\(log.suffix(2000))") }
            return canConnect(port: port)
        }
    }

    /// Stops the broker gracefully (it saves its persistence file), as a service restart would.
    func stop() {
        process?.kill(signal: SIGTERM)
        if process?.waitForExit(timeout: 10) == nil { process?.kill(signal: SIGKILL) }
        process = nil
    }

    func restart() throws {
        stop()
        try start()
    }

    /// SIGHUP: mosquitto reloads its password file (and other reloadable settings) without dropping clients.
    func reload() {
        process?.kill(signal: SIGHUP)
    }

    /// The broker's own log (connections, refusals, TLS errors).
    var log: String { (try? String(contentsOfFile: directory + "/broker.log", encoding: .utf8)) ?? "" }

    deinit { process?.kill(signal: SIGKILL) }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestFailure("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
