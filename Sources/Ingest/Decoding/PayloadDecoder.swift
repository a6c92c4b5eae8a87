import Foundation

/// Why a payload was rejected. The text is stored with the payload in the rejected-messages store, so it must
/// tell an agent precisely what was wrong.
public struct DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What a decoder may need besides the message itself.
public struct DecodingContext: Sendable {
    /// The commune's time zone, for timestamps sent without an offset.
    public var timeZone: TimeZone
    /// When the gateway received the message, in milliseconds since the Unix epoch.
    public var receivedAt: Int64
    /// Format options from the subscription (`base_topic`, `full_topic`, `device`, `field`, `time_path`, …).
    public var options: [String: String]

    public init(timeZone: TimeZone = TimeZone(identifier: "Europe/Paris")!, receivedAt: Int64, options: [String: String] = [:]) {
        self.timeZone = timeZone
        self.receivedAt = receivedAt
        self.options = options
    }
}

/// Turns one MQTT message of a given format into what it says about devices.
///
/// A decoder is pure: same topic, payload and context, same result. It throws `DecodeError` for a payload
/// that does not follow its format, and returns an empty array for a valid message that carries no reading
/// or status (a join event, a bridge log line): the pipeline counts those as ignored.
public protocol PayloadDecoder: Sendable {
    func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage]
}

extension PayloadDecoder {
    /// Parses the payload as JSON, turning a syntax error into a `DecodeError` with the byte offset.
    /// - Parameter rule: members the decoder never reads (checked, not kept).
    func parseJSON(_ payload: [UInt8], skipping rule: JSONSkipRule? = nil) throws(DecodeError) -> JSONValue {
        do {
            return try JSONParser.parse(payload, skipping: rule)
        } catch {
            throw DecodeError(error.description)
        }
    }
}
