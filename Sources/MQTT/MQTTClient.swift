import CMosquitto
import Foundation
import Logging

/// A QoS 1 subscriber on a persistent session, with libmosquitto's network loop in its own thread.
///
/// With the threaded loop, libmosquitto sends the PUBACK of a QoS 1 message only after the message handler
/// returns. The handler is therefore where a message must become durable: once it returns, the broker forgets
/// the message. Reconnection (with exponential backoff) and re-subscription after it are automatic.
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
        // clean_session = false: the broker keeps our subscriptions and queues messages while we are away.
        guard let mosq = mosquitto_new(options.clientID, false, nil) else {
            throw MQTTError(operation: "create client", code: Int32(errno), detail: "mosquitto_new returned NULL (invalid client id?)")
        }
        handle = mosq
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        try check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, options.useMQTT5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311), "set protocol version")
        if let username = options.username {
            try check(mosquitto_username_pw_set(mosq, username, options.password), "set credentials")
        }
        if let caFile = options.caFile {
            try check(mosquitto_tls_set(mosq, caFile, nil, options.certificateFile, options.keyFile, nil), "configure TLS (ca_file \(caFile))")
            if options.tlsInsecure { try check(mosquitto_tls_insecure_set(mosq, true), "disable TLS host name check") }
        }
        try check(mosquitto_reconnect_delay_set(mosq, options.reconnectDelayMin, options.reconnectDelayMax, true), "set reconnect delay")
        mosquitto_connect_callback_set(mosq) { _, userdata, rc in
            guard let userdata else { return }
            Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue().didConnect(rc)
        }
        mosquitto_disconnect_callback_set(mosq) { _, userdata, rc in
            guard let userdata else { return }
            Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue().didDisconnect(rc)
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

    /// Starts connecting and the network thread. An unreachable broker is not an error: the thread retries.
    public func start() throws {
        guard let handle else { return }
        var properties: OpaquePointer? = nil
        if options.useMQTT5 {
            mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), options.sessionExpiry)
        }
        let rc = mosquitto_connect_bind_v5(handle, options.host, Int32(options.port), Int32(options.keepAlive), nil, properties)
        mosquitto_property_free_all(&properties)
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            // The loop thread reconnects with backoff; only configuration errors are fatal.
            if rc == MOSQ_ERR_INVAL.rawValue { throw MQTTError(operation: "connect", code: rc, detail: describe(rc)) }
            logger.warning("broker not reachable yet; retrying in the background",
                           metadata: ["host": "\(options.host)", "port": "\(options.port)", "error": "\(describe(rc))"])
        }
        try check(mosquitto_loop_start(handle), "start network thread")
    }

    /// Disconnects cleanly and stops the network thread. Messages not yet handled stay with the broker.
    public func stop() {
        guard let handle else { return }
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
    }

    private func didConnect(_ rc: Int32) {
        guard rc == 0, let handle else {
            logger.error("broker refused the connection", metadata: ["reason": "\(String(cString: mosquitto_connack_string(rc)))"])
            return
        }
        state.withLock { _connected = true; _connectCount += 1 }
        // Subscribe on every connect: a broker that lost our session (restart without persistence) needs it.
        for filter in subscriptions {
            let result = mosquitto_subscribe(handle, nil, filter, 1)
            if result != MOSQ_ERR_SUCCESS.rawValue {
                logger.error("subscribe failed", metadata: ["topic": "\(filter)", "error": "\(describe(result))"])
            }
        }
        logger.info("connected to broker", metadata: ["host": "\(options.host)", "port": "\(options.port)", "client_id": "\(options.clientID)"])
        onConnectionChange?(true)
    }

    private func didDisconnect(_ rc: Int32) {
        state.withLock { _connected = false }
        if rc != 0 {
            logger.warning("connection to broker lost; reconnecting", metadata: ["error": "\(describe(rc))"])
        }
        onConnectionChange?(false)
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

    private func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        return String(cString: mosquitto_strerror(rc))
    }
}
