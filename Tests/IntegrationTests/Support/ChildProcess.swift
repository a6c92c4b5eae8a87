import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and an empty signal mask.
///
/// `Foundation.Process` children inherit `swift test`'s blocked SIGTERM, so they ignore `terminate()`; an
/// orphaned broker then keeps the test's output open and the run hangs. Spawning with a reset mask makes
/// SIGTERM work, and `deinit` always SIGKILLs and reaps the child.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let logPath: String
    private var reaped = false

    init(executable: String, arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGTERM)
        sigaddset(&defaultSignals, SIGINT)
        sigaddset(&defaultSignals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &fileActions, &attributes, argv, envp)
        guard rc == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
        self.logPath = logPath
    }

    deinit { kill(signal: SIGKILL) }

    /// Sends a signal; SIGKILL also waits for the process to be gone.
    func kill(signal: Int32) {
        guard !reaped else { return }
        Glibc.kill(pid, signal)
        if signal == SIGKILL { _ = waitForExit(timeout: 10) }
    }

    /// Waits for the process to exit; returns its status, or nil on timeout.
    @discardableResult
    func waitForExit(timeout: TimeInterval) -> Int32? {
        if reaped { return 0 }
        let deadline = Date(timeIntervalSinceNow: timeout)
        var status: Int32 = 0
        while Date() < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { reaped = true; return status }
            if result < 0 { reaped = true; return nil }
            usleep(20_000)
        }
        return nil
    }

    var isRunning: Bool {
        guard !reaped else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { reaped = true; return false }
        return true
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: TimeInterval, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        if try condition() { return }
        usleep(50_000)
    }
    throw TestFailure("timed out after \(timeout) s waiting for: \(what)")
}
