/// A message as received from the broker; topic and payload are copied out of libmosquitto's buffers.
public struct MQTTMessage: Sendable {
    public let topic: String
    public let payload: [UInt8]
    public let qos: Int32
    public let retain: Bool

    public init(topic: String, payload: [UInt8], qos: Int32 = 1, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// Why the client could not be set up or connected.
public struct MQTTError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32
    public let detail: String

    public var description: String { "MQTT \(operation) failed: \(detail) (code \(code))" }
}
