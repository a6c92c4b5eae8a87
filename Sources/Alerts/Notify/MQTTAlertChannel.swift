import Foundation
import Logging
import MQTT

/// Publishes alerts on the commune's broker for its other tools (a supervisor, Node-RED, Home Assistant): one
/// topic per (asset, rule) under `topic`, holding the alert's current state as a retained JSON message
/// (`AlertPayload`), so a tool that subscribes later sees every unresolved alert at once. A resolution is published
/// (not retained) and then clears the retained message: what stays retained is what is still wrong.
public final class MQTTAlertChannel: NotificationChannel, @unchecked Sendable {
    public let name: String
    public let topic: String
    private let client: MQTTClient
    private let timeout: TimeInterval

    /// - Parameters:
    ///   - options: the broker connection (its own client id: the ingest session is not shared).
    ///   - topic: the prefix, e.g. `communes/saint-exemple/alertes`; an alert goes to `topic/ASSET/RULE`.
    public init(name: String, topic: String, options: MQTTClientOptions, timeout: TimeInterval = 10, logger: Logger) throws {
        self.name = name
        self.topic = topic.hasSuffix("/") ? String(topic.dropLast()) : topic
        self.timeout = timeout
        self.client = try MQTTClient(options: options, subscriptions: [], logger: logger) { _ in }
    }

    /// Connects in the background (a broker that is down only delays deliveries: they are retried).
    public func start() throws { try client.start() }

    public func stop() { client.stop() }

    /// The topic of an alert: `prefix/ASSET/RULE`, with MQTT's wildcard and separator characters replaced.
    public func topic(for alert: Alert) -> String {
        func level(_ text: String) -> String {
            String(text.map { "+#/".contains($0) ? "_" : $0 })
        }
        return "\(topic)/\(level(alert.assetID))/\(level(alert.ruleID))"
    }

    public func deliver(_ notification: AlertNotification) throws {
        let alertTopic = topic(for: notification.alert)
        let payload = Array(try AlertPayload(notification).json())
        do {
            if notification.alert.state == .resolved {
                try client.publish(topic: alertTopic, payload: payload, retain: false, timeout: timeout)
                try client.publish(topic: alertTopic, payload: [], retain: true, timeout: timeout)
            } else {
                try client.publish(topic: alertTopic, payload: payload, retain: true, timeout: timeout)
            }
        } catch {
            throw NotificationError("MQTT \(alertTopic): \(error)")
        }
    }
}
