import Foundation

/// What channels send for a change of an alert, as JSON: what changed, the alert with its French message, and who
/// did what (the webhook's body, the MQTT channel's payload).
struct AlertPayload: Encodable {
    struct Action: Encodable {
        let at: String
        let by: String?
        let comment: String?
    }

    let event: String
    let commune: String
    let id: Int64
    let state: String
    let severity: String
    let asset: String
    let rule: String
    let metric: String?
    let value: Double?
    let threshold: Double?
    let since: String
    let raisedAt: String
    let message: String
    let acknowledged: Action?
    let resolved: Action?
    let escalatedAt: String?

    init(_ notification: AlertNotification) {
        let alert = notification.alert
        // One formatter for the body's four times (each costs a formatter's setup otherwise).
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func iso(_ ms: Int64) -> String { formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000)) }
        event = notification.event.rawValue
        commune = notification.commune
        id = alert.id
        state = alert.state.rawValue
        severity = alert.severity.rawValue
        asset = alert.assetID
        rule = alert.ruleID
        metric = alert.metric
        value = alert.value
        threshold = alert.threshold
        since = iso(alert.since)
        raisedAt = iso(alert.raisedAt)
        message = alert.message
        acknowledged = alert.acknowledgement.map { Action(at: iso($0.at), by: $0.by, comment: $0.comment) }
        resolved = alert.resolution.map { Action(at: iso($0.at), by: $0.by, comment: $0.comment) }
        escalatedAt = alert.escalatedAt.map(iso)
    }

    /// Snake-case keys, sorted: stable for the tools that read them.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
