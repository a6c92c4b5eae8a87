/// Connection options for `MQTTClient`.
public struct MQTTClientOptions: Sendable {
    public var host: String
    public var port: Int
    public var clientID: String
    public var useMQTT5: Bool
    public var keepAlive: Int
    public var username: String?
    public var password: String?
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?
    public var tlsInsecure: Bool
    /// MQTT 5 session expiry in seconds (3.1.1 uses `clean_session = false`, which never expires).
    public var sessionExpiry: UInt32
    public var reconnectDelayMin: UInt32
    public var reconnectDelayMax: UInt32

    public init(host: String, port: Int, clientID: String, useMQTT5: Bool = false, keepAlive: Int = 30,
                username: String? = nil, password: String? = nil, caFile: String? = nil, certificateFile: String? = nil,
                keyFile: String? = nil, tlsInsecure: Bool = false, sessionExpiry: UInt32 = 604_800,
                reconnectDelayMin: UInt32 = 1, reconnectDelayMax: UInt32 = 60) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.useMQTT5 = useMQTT5
        self.keepAlive = keepAlive
        self.username = username
        self.password = password
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.tlsInsecure = tlsInsecure
        self.sessionExpiry = sessionExpiry
        self.reconnectDelayMin = reconnectDelayMin
        self.reconnectDelayMax = reconnectDelayMax
    }
}
