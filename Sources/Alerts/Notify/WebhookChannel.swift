import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends each change of an alert as a JSON `POST` to the commune's URL (its ticketing tool, a chat bridge, a
/// supervisor). A 2xx answer is a delivery; anything else, or no answer within `timeout`, is retried. `http://`
/// URLs are posted on a plain socket (`HTTPPost`), `https://` ones through URLSession.
public struct WebhookChannel: NotificationChannel {
    public let name: String
    public let url: URL
    public let timeout: TimeInterval

    public init(name: String, url: URL, timeout: TimeInterval = 10) {
        self.name = name
        self.url = url
        self.timeout = timeout
    }

    public func deliver(_ notification: AlertNotification) throws {
        if url.scheme?.lowercased() == "http" {
            let status = try HTTPPost(url: url, timeout: timeout).send(Array(try AlertPayload(notification).json()))
            guard (200..<300).contains(status) else { throw NotificationError("POST \(url.absoluteString) answered HTTP \(status)") }
            return
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.httpBody = try AlertPayload(notification).json()
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
