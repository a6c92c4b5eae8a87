import CMosquitto
import Foundation

/// A QoS 1 publisher on libmosquitto, for driving the gateway like real devices and network servers do.
final class TestPublisher: @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()
    private var acknowledged = 0

    /// TLS files for a publisher on a TLS listener: the CA that signed the broker's certificate, and a client
    /// certificate and key when the broker requires one.
    struct TLS {
        var caFile: String
        var certificateFile: String?
        var keyFile: String?
    }

    /// - Parameters:
    ///   - tls: connect with TLS, verifying the broker's certificate against `tls.caFile`.
    ///   - username, password: credentials for a broker without anonymous access.
    init(port: Int, clientID: String = "test-publisher-\(UUID().uuidString.prefix(8))", tls: TLS? = nil,
         username: String? = nil, password: String? = nil) throws {
        mosquitto_lib_init()
        guard let mosq = mosquitto_new(clientID, true, nil) else { throw TestFailure("mosquitto_new failed") }
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
        mosquitto_publish_callback_set(mosq) { _, userdata, _ in
            guard let userdata else { return }
            let publisher = Unmanaged<TestPublisher>.fromOpaque(userdata).takeUnretainedValue()
            publisher.lock.withLock { publisher.acknowledged += 1 }
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
    func publish(_ topic: String, _ payload: String, qos: Int32 = 1, retain: Bool = false) throws {
        try publishBytes(topic, Array(payload.utf8), qos: qos, retain: retain)
    }

    /// Publishes raw bytes (not necessarily UTF-8) at QoS 1.
    func publishBytes(_ topic: String, _ bytes: [UInt8], qos: Int32 = 1, retain: Bool = false) throws {
        var rc: Int32 = 0
        for _ in 0..<200 {
            rc = bytes.withUnsafeBytes { mosquitto_publish(handle, nil, topic, Int32($0.count), $0.baseAddress, qos, retain) }
            if rc == MOSQ_ERR_SUCCESS.rawValue { return }
            usleep(50_000) // not connected right now (broker restarting): retry
        }
        throw TestFailure("publish to \(topic) failed: \(String(cString: mosquitto_strerror(rc)))")
    }

    var acknowledgedCount: Int { lock.withLock { acknowledged } }

    func waitForAcknowledgements(_ count: Int, timeout: TimeInterval = 60) throws {
        try eventually(timeout: timeout, "\(count) PUBACKs from the broker") { acknowledgedCount >= count }
    }
}
