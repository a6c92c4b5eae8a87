import CMosquitto
import Foundation

/// A QoS 1 publisher on libmosquitto, for driving the gateway like real devices and network servers do.
///
/// Each publication can carry a `tag` (a sequence number): the tags whose PUBACK came back are kept, so a test
/// can check that every message the broker acknowledged was stored. With `cleanSession: false` and a fixed
/// client id, the publisher survives broker restarts as a device does: libmosquitto reconnects by itself and
/// resends the QoS 1 messages the broker had not acknowledged.
final class TestPublisher: @unchecked Sendable {
    private let handle: OpaquePointer
    // Guards everything below.
    private let lock = NSLock()
    private var acknowledged = 0
    private var connections = 0
    /// Message id → tag (-1: untagged) of the publications waiting for their PUBACK.
    private var waiting: [Int32: Int] = [:]
    /// PUBACKs that arrived before `publishBytes` recorded their message id.
    private var early: Set<Int32> = []
    private var acknowledgedTagSet: Set<Int> = []

    /// TLS files for a publisher on a TLS listener: the CA that signed the broker's certificate, and a client
    /// certificate and key when the broker requires one.
    struct TLS {
        var caFile: String
        var certificateFile: String?
        var keyFile: String?
    }

    /// - Parameters:
    ///   - cleanSession: false for a persistent session (use a fixed `clientID`).
    ///   - tls: connect with TLS, verifying the broker's certificate against `tls.caFile`.
    ///   - username, password: credentials for a broker without anonymous access.
    init(port: Int, clientID: String = "test-publisher-\(UUID().uuidString.prefix(8))", cleanSession: Bool = true,
         tls: TLS? = nil, username: String? = nil, password: String? = nil) throws {
        mosquitto_lib_init()
        guard let mosq = mosquitto_new(clientID, cleanSession, nil) else { throw TestFailure("mosquitto_new failed") }
        handle = mosq
        if let username, mosquitto_username_pw_set(mosq, username, password) != MOSQ_ERR_SUCCESS.rawValue {
            mosquitto_destroy(mosq)
            throw TestFailure("publisher: cannot set credentials")
        }
        if let tls {
            let rc = mosquitto_tls_set(mosq, tls.caFile, nil, tls.certificateFile, tls.keyFile, nil)
            guard rc == MOSQ_ERR_SUCCESS.rawValue else {
                mosquitto_destroy(mosq)
                throw TestFailure("publisher: TLS setup failed: \(String(cString: mosquitto_strerror(rc)))")
            }
        }
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_publish_callback_set(mosq) { _, userdata, mid in
            guard let userdata else { return }
            Unmanaged<TestPublisher>.fromOpaque(userdata).takeUnretainedValue().didAcknowledge(mid)
        }
        mosquitto_connect_callback_set(mosq) { _, userdata, rc in
            guard let userdata, rc == 0 else { return }
            let publisher = Unmanaged<TestPublisher>.fromOpaque(userdata).takeUnretainedValue()
            publisher.lock.withLock { publisher.connections += 1 }
        }
        mosquitto_reconnect_delay_set(mosq, 1, 2, false)
        let rc = mosquitto_connect(mosq, "127.0.0.1", Int32(port), 30)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            mosquitto_destroy(mosq)
            throw TestFailure("publisher cannot connect to 127.0.0.1:\(port): \(String(cString: mosquitto_strerror(rc)))")
        }
        mosquitto_loop_start(mosq)
    }

    deinit {
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
        mosquitto_destroy(handle)
    }

    /// Publishes at QoS 1 (the broker's PUBACK is counted in `acknowledgedCount`).
    @discardableResult
    func publish(_ topic: String, _ payload: String, qos: Int32 = 1, retain: Bool = false, tag: Int? = nil) throws -> Int32 {
        try publishBytes(topic, Array(payload.utf8), qos: qos, retain: retain, tag: tag)
    }

    /// Publishes raw bytes (not necessarily UTF-8) at QoS 1; returns the message id.
    ///
    /// At QoS 1 and 2 libmosquitto queues the message as soon as it has given it an id, and sends it (again)
    /// after a reconnection; an error returned after that (not connected right now) must not lead to a second
    /// publication, which would be a real duplicate. Only a message that was not queued is retried.
    @discardableResult
    func publishBytes(_ topic: String, _ bytes: [UInt8], qos: Int32 = 1, retain: Bool = false, tag: Int? = nil) throws -> Int32 {
        var rc: Int32 = 0
        for _ in 0..<200 {
            var mid: Int32 = 0
            rc = bytes.withUnsafeBytes { mosquitto_publish(handle, &mid, topic, Int32($0.count), $0.baseAddress, qos, retain) }
            let queued = rc == MOSQ_ERR_SUCCESS.rawValue || (qos > 0 && mid != 0 && rc != MOSQ_ERR_NOMEM.rawValue)
            if queued {
                if qos > 0 { recordPublication(mid, tag: tag ?? -1) }
                return mid
            }
            usleep(50_000) // not connected right now (broker restarting): retry
        }
        throw TestFailure("publish to \(topic) failed: \(String(cString: mosquitto_strerror(rc)))")
    }

    private func recordPublication(_ mid: Int32, tag: Int) {
        lock.withLock {
            if early.remove(mid) != nil {
                if tag >= 0 { acknowledgedTagSet.insert(tag) }
            } else {
                waiting[mid] = tag
            }
        }
    }

    private func didAcknowledge(_ mid: Int32) {
        lock.withLock {
            acknowledged += 1
            if let tag = waiting.removeValue(forKey: mid) {
                if tag >= 0 { acknowledgedTagSet.insert(tag) }
            } else {
                early.insert(mid)
            }
        }
    }

    var acknowledgedCount: Int { lock.withLock { acknowledged } }
    /// The tags of the publications the broker acknowledged.
    var acknowledgedTags: Set<Int> { lock.withLock { acknowledgedTagSet } }
    /// How many times the publisher connected (1 + reconnections).
    var connectionCount: Int { lock.withLock { connections } }

    func waitForAcknowledgements(_ count: Int, timeout: TimeInterval = 60) throws {
        try eventually(timeout: timeout, "\(count) PUBACKs from the broker (have \(acknowledgedCount))") { acknowledgedCount >= count }
    }
}

/// Publishes a numbered range of messages from its own thread at a steady rate, as devices keep publishing
/// whatever happens to the gateway or the broker.
final class BackgroundPublishing: @unchecked Sendable {
    private let lock = NSLock()
    private var published = 0
    private var stopRequested = false
    private var finished = false
    private var failure: String?

    /// - Parameters:
    ///   - perSecond: the publishing rate; the thread sleeps to keep it.
    ///   - message: the topic and payload of message `index`; the index is the publication's tag.
    init(publisher: TestPublisher, indices: Range<Int>, perSecond: Double, timeout: TimeInterval = 300,
         message: @escaping @Sendable (Int) -> (topic: String, payload: [UInt8])) {
        let thread = Thread { [self] in
            let start = Date()
            for (offset, index) in indices.enumerated() {
                if lock.withLock({ stopRequested }) { break }
                let due = start.addingTimeInterval(Double(offset) / perSecond)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
                if -start.timeIntervalSinceNow > timeout {
                    lock.withLock { failure = "publishing took longer than \(timeout) s" }
                    break
                }
                let (topic, payload) = message(index)
                do {
                    try publisher.publishBytes(topic, payload, tag: index)
                } catch {
                    lock.withLock { failure = "\(error)" }
                    break
                }
                lock.withLock { published += 1 }
            }
            lock.withLock { finished = true }
        }
        thread.name = "test-publishing"
        thread.start()
    }

    var publishedCount: Int { lock.withLock { published } }

    func stop() { lock.withLock { stopRequested = true } }

    /// Waits until every message is published; throws if publishing failed or did not finish in time.
    func waitUntilFinished(timeout: TimeInterval) throws {
        try eventually(timeout: timeout, "publishing finished (published \(publishedCount))") { lock.withLock { finished } }
        if let failure = lock.withLock({ failure }) { throw TestFailure("publishing failed: \(failure)") }
    }

    deinit { stop() }
}
