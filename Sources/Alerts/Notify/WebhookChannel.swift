import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends each change of an alert as a JSON `POST` to the commune's URL (its ticketing tool, a chat bridge, a
/// supervisor). A 2xx answer is a delivery; anything else, or no answer within `timeout`, is retried.
public struct WebhookChannel: NotificationChannel {
    public let name: String
    public let url: URL
    public let timeout: TimeInterval

    public init(name: String, url: URL, timeout: TimeInterval = 10) {
        self.name = name
        self.url = url
        self.timeout = timeout
    }

    /// The JSON body: what changed, the alert with its French message, and who did what.
    struct Body: Encodable {
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
        }
    }

    public func deliver(_ notification: AlertNotification) throws {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        request.httpBody = try encoder.encode(Body(notification))
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        // The notifier's own thread waits here: deliveries are sequential by design (one outbox, in order).
        URLSession.shared.dataTask(with: request) { _, response, error in
            outcome.set(status: (response as? HTTPURLResponse)?.statusCode, error: error)
            done.signal()
        }.resume()
        done.wait()
        let (status, error) = outcome.get()
        if let error { throw NotificationError("POST \(url.absoluteString) failed: \(error.localizedDescription)") }
        guard let status, (200..<300).contains(status) else {
            throw NotificationError("POST \(url.absoluteString) answered HTTP \(status.map(String.init) ?? "nothing")")
        }
    }

    /// The completion handler's result, handed across threads.
    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var status: Int?
        private var error: (any Error)?

        func set(status: Int?, error: (any Error)?) { lock.withLock { (self.status, self.error) = (status, error) } }
        func get() -> (Int?, (any Error)?) { lock.withLock { (status, error) } }
    }
}
