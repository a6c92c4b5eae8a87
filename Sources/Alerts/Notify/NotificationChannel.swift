/// One change of an alert, as a channel delivers it.
public struct AlertNotification: Sendable, Equatable {
    public var event: AlertStore.Event
    public var alert: Alert
    /// The commune's name, for messages that leave the gateway.
    public var commune: String
}

/// Somewhere alerts are sent: a webhook, an MQTT topic, e-mail. Delivery is retried by `AlertNotifier` until it
/// succeeds or the notifier gives up, so `deliver` must be safe to call again for the same notification.
public protocol NotificationChannel: Sendable {
    /// Names the channel in the outbox and the logs (from the configuration).
    var name: String { get }
    /// Delivers, or throws a `NotificationError` saying why not.
    func deliver(_ notification: AlertNotification) throws
}

/// Why a channel could not deliver.
public struct NotificationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
