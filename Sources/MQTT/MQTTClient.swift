import CMosquitto
import Foundation
import Logging

/// A QoS 1 subscriber on a persistent session, with its network loop in its own thread.
///
/// libmosquitto runs in threaded mode: it queues the PUBACK of a QoS 1 message and the loop writes it only after
/// the message handler has returned. The handler is therefore where a message must become durable: once it
/// returns, the broker forgets the message. Reconnection (with exponential backoff) and re-subscription after it
/// are automatic.
///
/// The loop is this class's own rather than `mosquitto_loop_start`'s: libmosquitto 2.0's loop thread ends for
/// good, silently, after a TLS error (untrusted or renewed broker certificate, client certificate refused) or an
/// MQTT 5 CONNACK refusal (bad password), leaving a running gateway that never reconnects. This loop retries
/// every failure with backoff and logs why each attempt failed.
public final class MQTTClient: @unchecked Sendable {
    public typealias MessageHandler = @Sendable (MQTTMessage) -> Void
    public typealias ConnectionHandler = @Sendable (Bool) -> Void

    private let options: MQTTClientOptions
    private let subscriptions: [String]
    private let handler: MessageHandler
    private let onConnectionChange: ConnectionHandler?
    private let logger: Logger
    private var handle: OpaquePointer?
    private let state = NSLock()
    private var _connected = false
    private var _connectCount = 0
    // Guarded by `wakeUp`: stop request, and the loop thread's exit.
    private let wakeUp = NSCondition()
    private var stopRequested = false
    private var loopRunning = false
    // Only touched on the network thread.
    private var failedAttempts = 0
    private var refusalLogged = false
    private var established = false
    // libmosquitto's error log lines while connecting (OpenSSL's reasons); guarded by `state`.
    private var libraryErrors: [String] = []
    // Message ids the broker has acknowledged (PUBACK) and `publish` has not collected yet; guarded by `published`.
    private let published = NSCondition()
    private var acknowledgedIDs: Set<Int32> = []

    private static let libraryInit: Void = { mosquitto_lib_init() }()

    /// - Parameters:
    ///   - subscriptions: topic filters (possibly `$share/GROUP/filter`), all subscribed at QoS 1.
    ///   - handler: called on the network thread for every message; the message is acknowledged when it returns.
    public init(options: MQTTClientOptions, subscriptions: [String], logger: Logger,
                onConnectionChange: ConnectionHandler? = nil, handler: @escaping MessageHandler) throws {
        _ = Self.libraryInit
        self.options = options
        self.subscriptions = subscriptions
        self.handler = handler
        self.onConnectionChange = onConnectionChange
        self.logger = logger
        // clean_session = false (MQTT 5: clean_start = false): the broker keeps our subscriptions and queues
        // messages while we are away.
        guard let mosq = mosquitto_new(options.clientID, false, nil) else {
            throw MQTTError(operation: "create client", code: Int32(errno), detail: "mosquitto_new returned NULL (invalid client id?)")
        }
        handle = mosq
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        try check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, options.useMQTT5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311), "set protocol version")
        // Threaded mode: packets (the PUBACK among them) are queued and written by the loop, never from inside
        // a callback.
        try check(mosquitto_threaded_set(mosq, true), "enable threaded mode")
        if let username = options.username {
            try check(mosquitto_username_pw_set(mosq, username, options.password), "set credentials")
        }
        if let caFile = options.caFile {
            try check(mosquitto_tls_set(mosq, caFile, nil, options.certificateFile, options.keyFile, nil),
                      "configure TLS (ca_file \(caFile)\(options.certificateFile.map { ", cert_file \($0)" } ?? "")\(options.keyFile.map { ", key_file \($0)" } ?? ""))")
            if options.tlsInsecure { try check(mosquitto_tls_insecure_set(mosq, true), "disable TLS host name check") }
        }
        mosquitto_connect_callback_set(mosq) { _, userdata, rc in
            guard let userdata else { return }
            Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue().didConnect(rc)
        }
        mosquitto_disconnect_callback_set(mosq) { _, userdata, rc in
            guard let userdata else { return }
            Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue().didDisconnect(rc)
        }
        mosquitto_publish_callback_set(mosq) { _, userdata, mid in
            guard let userdata else { return }
            Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue().didPublish(mid)
        }
        mosquitto_message_callback_set(mosq) { _, userdata, message in
            guard let userdata, let message else { return }
            Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue().didReceive(message.pointee)
        }
    }

    deinit {
        if let handle { mosquitto_destroy(handle) }
    }

    /// True while connected to the broker.
    public var isConnected: Bool { state.withLock { _connected } }
    /// How many times the client has connected (1 after the first connection).
    public var connectCount: Int { state.withLock { _connectCount } }

    /// Starts connecting and the network thread. An unreachable or refusing broker is not an error: the thread
    /// retries with backoff. Only an invalid configuration throws.
    public func start() throws {
        guard let handle else { return }
        var properties: OpaquePointer? = nil
        if options.useMQTT5 {
            mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), options.sessionExpiry)
        }
        // libmosquitto keeps the CONNECT properties (the session expiry) for every later reconnection.
        captureLibraryErrors(true)
        let rc = mosquitto_connect_bind_v5(handle, options.host, Int32(options.port), Int32(options.keepAlive), nil, properties)
        let error = errno
        mosquitto_property_free_all(&properties)
        if rc == MOSQ_ERR_INVAL.rawValue || rc == MOSQ_ERR_NOT_SUPPORTED.rawValue {
            throw MQTTError(operation: "connect", code: rc, detail: describe(rc))
        }
        let connected = rc == MOSQ_ERR_SUCCESS.rawValue
        if !connected { connectionFailed(rc, errno: error) }
        wakeUp.withLock { stopRequested = false; loopRunning = true }
        let thread = Thread { [self] in runLoop(socketOpen: connected) }
        thread.name = "mqtt-network"
        thread.start()
    }

    /// Publishes at QoS 1 and waits until the broker has acknowledged the message (PUBACK), at most `timeout`.
    /// Throws when not connected or not acknowledged in time: the caller retries (libmosquitto also resends an
    /// unacknowledged message itself after a reconnection, so a retry may deliver it twice — at least once).
    public func publish(topic: String, payload: [UInt8], retain: Bool, timeout: TimeInterval) throws {
        guard let handle else { throw MQTTError(operation: "publish", code: -1, detail: "no client") }
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { bytes in
            mosquitto_publish(handle, &mid, topic, Int32(bytes.count), bytes.baseAddress, 1, retain)
        }
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError(operation: "publish to \(topic)", code: rc, detail: describe(rc)) }
        let deadline = Date(timeIntervalSinceNow: timeout)
        let acknowledged = published.withLock {
            while !acknowledgedIDs.contains(mid), published.wait(until: deadline) {}
            return acknowledgedIDs.remove(mid) != nil
        }
        guard acknowledged else {
            throw MQTTError(operation: "publish to \(topic)", code: MOSQ_ERR_TIMEOUT.rawValue, detail: "no PUBACK from the broker within \(timeout) s")
        }
    }

    private func didPublish(_ mid: Int32) {
        published.withLock {
            acknowledgedIDs.insert(mid)
            published.broadcast()
        }
    }

    /// Disconnects cleanly and stops the network thread. Messages not yet handled stay with the broker.
    public func stop() {
        guard let handle else { return }
        let running = wakeUp.withLock {
            stopRequested = true
            wakeUp.broadcast()
            return loopRunning
        }
        guard running else { return }
        mosquitto_disconnect(handle)
        // The loop sends the DISCONNECT and exits; it gives up on a broker that does not answer within 3 s.
        let deadline = Date(timeIntervalSinceNow: 5)
        wakeUp.withLock {
            while loopRunning && wakeUp.wait(until: deadline) {}
        }
    }

    private var shouldStop: Bool { wakeUp.withLock { stopRequested } }

    /// The network thread: (re)connect, then run libmosquitto's loop until the connection fails; every failure
    /// is followed by a backoff delay and a new attempt, until `stop()`.
    private func runLoop(socketOpen: Bool) {
        defer { wakeUp.withLock { loopRunning = false; wakeUp.broadcast() } }
        guard let handle else { return }
        var open = socketOpen
        if !open { waitBeforeRetry() }  // start() tried and logged already
        while !shouldStop {
            if !open {
                captureLibraryErrors(true)
                let rc = mosquitto_reconnect(handle)
                let error = errno
                if rc != MOSQ_ERR_SUCCESS.rawValue {
                    if shouldStop { break }
                    connectionFailed(rc, errno: error)
                    waitBeforeRetry()
                    continue
                }
                open = true
            }
            var rc = mosquitto_loop(handle, 1000, 1)
            if rc == MOSQ_ERR_SUCCESS.rawValue, options.caFile == nil { rc = readWaitingPackets(handle) }
            let error = errno
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                open = false
                if shouldStop { break }
                if established {
                    established = false
                    // A TLS error ends the connection without the disconnect callback: report the loss here.
                    if isConnected { didDisconnect(rc) }
                } else if refusalLogged {
                    refusalLogged = false  // didConnect said why
                } else {
                    connectionFailed(rc, errno: error)  // failed before the CONNACK: TCP or TLS
                }
                waitBeforeRetry()
            }
        }
        // Stopping: let the loop write the DISCONNECT queued by `stop()` (it then closes the socket).
        if open {
            let deadline = Date(timeIntervalSinceNow: 3)
            while Date() < deadline, mosquitto_loop(handle, 100, 1) == MOSQ_ERR_SUCCESS.rawValue {}
        }
    }

    /// Reads the packets already waiting in the socket (at most `maximumWaitingPackets`), then writes their PUBACKs.
    ///
    /// Why: `mosquitto_loop` reads one packet per `select` when the client has nothing of its own in flight, which
    /// is always the case for a subscriber. Under a backlog that is a `select`, a wake-up byte read and a PUBACK write
    /// per message (a tenth of the gateway's CPU). The callbacks run exactly as in the loop, and in threaded mode
    /// each PUBACK is queued after its handler returned, so acknowledging still waits for the journal. Without TLS
    /// only: OpenSSL may hold decrypted bytes the socket no longer shows, which only the loop knows to read.
    private func readWaitingPackets(_ handle: OpaquePointer) -> Int32 {
        let socket = mosquitto_socket(handle)
        guard socket >= 0 else { return MOSQ_ERR_SUCCESS.rawValue }
        var packets = 0
        while packets < Self.maximumWaitingPackets {
            var waiting: Int32 = 0
            guard ioctl(socket, UInt(FIONREAD), &waiting) == 0, waiting > 0 else { break }
            let rc = mosquitto_loop_read(handle, 1)
            guard rc == MOSQ_ERR_SUCCESS.rawValue, mosquitto_socket(handle) >= 0 else { return rc }
            packets += 1
        }
        return packets > 0 ? mosquitto_loop_write(handle, 1) : MOSQ_ERR_SUCCESS.rawValue
    }

    /// Bounds the time between two runs of the loop's keep-alive and write checks.
    static let maximumWaitingPackets = 256

    /// Sleeps `reconnect_min` × 2^(failures − 1) seconds, at most `reconnect_max`; `stop()` cuts it short.
    private func waitBeforeRetry() {
        let exponent = min(max(failedAttempts - 1, 0), 20)
        let delay = min(Double(options.reconnectDelayMin) * pow(2, Double(exponent)), Double(max(options.reconnectDelayMax, options.reconnectDelayMin)))
        let deadline = Date(timeIntervalSinceNow: max(delay, 0.1))
        wakeUp.withLock {
            while !stopRequested && wakeUp.wait(until: deadline) {}
        }
    }

    /// Logs why a connection attempt failed (TCP, TLS), with OpenSSL's own reason when there is one.
    private func connectionFailed(_ rc: Int32, errno error: Int32) {
        failedAttempts += 1
        var metadata: Logger.Metadata = ["host": "\(options.host)", "port": "\(options.port)", "attempt": "\(failedAttempts)",
                                         "error": "\(describe(rc, errno: error))"]
        let details = state.withLock {
            defer { libraryErrors = [] }
            return libraryErrors
        }
        if !details.isEmpty { metadata["detail"] = "\(details.joined(separator: "; "))" }
        // libmosquitto reports a failed handshake as MOSQ_ERR_TLS, or as errno EPROTO without OpenSSL's reason.
        let tlsFailure = options.caFile != nil && (rc == MOSQ_ERR_TLS.rawValue || (rc == MOSQ_ERR_ERRNO.rawValue && error == EPROTO)
            || details.contains { $0.contains("SSL") || $0.contains("TLS") })
        if tlsFailure {
            logger.error("TLS connection to the broker failed; retrying. Check mqtt.tls.ca_file (the CA that signed the broker's certificate), that the broker's certificate names mqtt.host, and cert_file/key_file if the broker requires a client certificate",
                         metadata: metadata)
        } else {
            logger.warning("broker not reachable; retrying", metadata: metadata)
        }
    }

    /// Collects libmosquitto's error log lines (OpenSSL's reasons) while connecting; off once connected, since
    /// libmosquitto formats a log line per packet when a log callback is set.
    private func captureLibraryErrors(_ on: Bool) {
        guard let handle else { return }
        if on {
            mosquitto_log_callback_set(handle) { _, userdata, level, text in
                // MOSQ_LOG_ERR | MOSQ_LOG_WARNING
                guard let userdata, let text, level & (8 | 4) != 0 else { return }
                let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
                client.state.withLock {
                    if client.libraryErrors.count < 8 { client.libraryErrors.append(String(cString: text)) }
                }
            }
        } else {
            mosquitto_log_callback_set(handle, nil)
            state.withLock { libraryErrors = [] }
        }
    }

    private func didConnect(_ rc: Int32) {
        guard rc == 0, let handle else {
            failedAttempts += 1
            refusalLogged = true
            logger.error("broker refused the connection; retrying", metadata: [
                "host": "\(options.host)", "port": "\(options.port)", "client_id": "\(options.clientID)",
                "reason": "\(refusalReason(rc))", "attempt": "\(failedAttempts)",
            ])
            return
        }
        captureLibraryErrors(false)
        failedAttempts = 0
        refusalLogged = false
        established = true
        state.withLock { _connected = true; _connectCount += 1 }
        // Subscribe on every connect: a broker that lost our session (restart without persistence) needs it.
        for filter in subscriptions {
            let result = mosquitto_subscribe(handle, nil, filter, 1)
            if result != MOSQ_ERR_SUCCESS.rawValue {
                logger.error("subscribe failed", metadata: ["topic": "\(filter)", "error": "\(describe(result))"])
            }
        }
        logger.info("connected to broker", metadata: ["host": "\(options.host)", "port": "\(options.port)", "client_id": "\(options.clientID)",
                                                      "protocol": "\(options.useMQTT5 ? "5" : "3.1.1")", "tls": "\(options.caFile != nil)"])
        onConnectionChange?(true)
    }

    /// The broker's reason for a refusal, with what to check. MQTT 3.1.1 CONNACK codes are 1–5, MQTT 5 reason
    /// codes 128 and above.
    private func refusalReason(_ rc: Int32) -> String {
        let text = options.useMQTT5 ? String(cString: mosquitto_reason_string(rc)) : String(cString: mosquitto_connack_string(rc))
        let credentials = options.useMQTT5 ? [134, 135].contains(rc) : [4, 5].contains(rc)
        guard credentials else { return "\(text) (code \(rc))" }
        let who = options.username.map { "user '\($0)'" } ?? "no user name (anonymous)"
        return "\(text) (code \(rc)): check mqtt.username and the password (password_file or password_env) against the broker, and its ACL; connecting as \(who)"
    }

    private func didDisconnect(_ rc: Int32) {
        let wasConnected = state.withLock {
            defer { _connected = false }
            return _connected
        }
        if rc != 0 && wasConnected {
            logger.warning("connection to broker lost; reconnecting", metadata: ["error": "\(describe(rc))"])
        }
        if wasConnected { onConnectionChange?(false) }
    }

    private func didReceive(_ message: mosquitto_message) {
        let topic = message.topic.map { String(cString: $0) } ?? ""
        let count = Int(message.payloadlen)
        let payload: [UInt8] = count > 0 && message.payload != nil
            ? Array(UnsafeRawBufferPointer(start: message.payload, count: count)) : []
        handler(MQTTMessage(topic: topic, payload: payload, qos: message.qos, retain: message.retain))
    }

    private func check(_ rc: Int32, _ operation: String) throws {
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError(operation: operation, code: rc, detail: describe(rc)) }
    }

    private func describe(_ rc: Int32, errno error: Int32 = errno) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(error)) }
        return String(cString: mosquitto_strerror(rc))
    }
}
