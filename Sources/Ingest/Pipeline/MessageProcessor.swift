import Assets
import Foundation
import Logging
import Storage

/// Applies journal records to the database: decode, look the device up, normalise with its profile, store.
///
/// Every outcome is kept: readings in the time series, an unknown device's raw message in the pending store,
/// anything undecodable in the rejected store with the reason. Nothing here throws on bad input; it throws
/// only when the database itself fails, and then the whole batch is retried.
public final class MessageProcessor: Sendable {
    private let routes: [String: SubscriptionRoute]
    private let profiles: [String: DeviceProfile]
    private let timeZone: TimeZone
    private let payloadLimit: Int
    private let normaliser = Normaliser()
    private let logger: Logger

    /// Payloads larger than this are rejected without decoding.
    public static let maximumPayloadSize = 256 * 1024

    public init(subscriptions: [Subscription], profiles: [String: DeviceProfile], timeZone: TimeZone,
                payloadLimit: Int = 4096, logger: Logger = Logger(label: "pmc.ingest")) {
        var routes: [String: SubscriptionRoute] = [:]
        for subscription in subscriptions {
            if let route = SubscriptionRoute(subscription) { routes[subscription.name] = route }
        }
        self.routes = routes
        self.profiles = profiles
        self.timeZone = timeZone
        self.payloadLimit = payloadLimit
        self.logger = logger
    }

    /// What a payload decodes to, before anything is stored.
    public enum Decoding: Sendable {
        case decoded(SubscriptionRoute, [DecodedMessage])
        /// The message cannot be decoded; it goes to the rejected store with this reason.
        case rejected(String)
    }

    /// Processes one received message inside the writer's open batch.
    /// - Parameters:
    ///   - fallbackFormat: the format to decode with when the subscription no longer exists (pending replay).
    ///   - replay: true when re-processing a kept message rather than a newly received one.
    public func process(_ record: JournalRecord, writer: ReadingWriter, fallbackFormat: String? = nil, replay: Bool = false) throws {
        try apply(record, decode(record, fallbackFormat: fallbackFormat), writer: writer, replay: replay)
    }

    /// The pure part of processing: no database, no state. Safe on any thread, which lets a second core decode
    /// the next records while the writer stores these.
    public func decode(_ record: JournalRecord, fallbackFormat: String? = nil) -> Decoding {
        let fallback = fallbackFormat.flatMap { PayloadFormat(rawValue: $0) }.flatMap { SubscriptionRoute(Subscription(name: record.subscription, topic: "#", format: $0.rawValue)) }
        guard let route = routes[record.subscription] ?? fallback else {
            return .rejected("no subscription named '\(record.subscription)' in the configuration (it was removed since the message was received)")
        }
        guard record.payload.count <= Self.maximumPayloadSize else {
            return .rejected("payload of \(record.payload.count) bytes exceeds the \(Self.maximumPayloadSize)-byte limit")
        }
        let context = DecodingContext(timeZone: timeZone, receivedAt: record.receivedAt, options: route.subscription.options)
        do {
            return .decoded(route, try route.decoder.decode(topic: record.topic, payload: record.payload, context: context))
        } catch {
            return .rejected("\(route.format.rawValue): \(error.reason)")
        }
    }

    /// Stores what `decode` made of `record` inside the writer's open batch.
    public func apply(_ record: JournalRecord, _ decoding: Decoding, writer: ReadingWriter, replay: Bool = false) throws {
        writer.count(replay ? "messages_replayed" : "messages_received")
        guard case .decoded(let route, let messages) = decoding else {
            if case .rejected(let reason) = decoding { try reject(record, writer: writer, reason: reason) }
            writer.count(Outcome.rejected.counter)
            return
        }
        if messages.isEmpty {
            writer.count(Outcome.ignored.counter)
            return
        }
        var storedSomething = false
        var keptPending = Set<String>()
        var problems: [String] = []
        var rejectedDevice: String?
        for message in messages {
            let (device, discovered) = try writer.device(key: message.deviceID, at: record.receivedAt)
            if discovered {
                logger.notice("unknown device: its messages are kept until it is declared in the inventory",
                              metadata: ["device": "\(device.key)", "topic": "\(record.topic)"])
            }
            if let status = message.status {
                try writer.recordStatus(device: device, status: status.rawValue, at: message.time ?? record.receivedAt)
                storedSomething = true
            }
            guard let profileID = device.profile else {
                writer.recordSeen(device: device, at: record.receivedAt)
                if !message.observations.isEmpty, keptPending.insert(device.key).inserted {
                    try writer.keepPending(deviceKey: device.key, subscription: record.subscription, format: route.format.rawValue,
                                           topic: record.topic, payload: record.payload, receivedAt: record.receivedAt)
                }
                continue
            }
            guard let profile = profiles[profileID] else {
                problems.append("device \(device.key) uses profile '\(profileID)', which is not loaded (check the profiles folder)")
                rejectedDevice = device.key
                continue
            }
            let normalised = normaliser.normalise(message, profile: profile, receivedAt: record.receivedAt)
            writer.recordSeen(device: device, at: record.receivedAt, unmappedFields: normalised.unmappedFields)
            for reading in normalised.readings {
                try writer.insertReading(device: device, metric: reading.metric, unit: reading.unit, kind: reading.kind.rawValue,
                                         time: reading.time, value: reading.value, receivedAt: record.receivedAt,
                                         timeFromReceipt: reading.timeFromReceipt)
                storedSomething = true
            }
            if !normalised.invalidFields.isEmpty {
                problems.append(contentsOf: normalised.invalidFields)
                rejectedDevice = device.key
            } else if normalised.readings.isEmpty, message.status == nil, !message.observations.isEmpty {
                problems.append("no field of this message is mapped by profile '\(profile.id)' (fields: \(normalised.unmappedFields.prefix(12).joined(separator: ", ")))")
                rejectedDevice = device.key
            }
        }
        if !problems.isEmpty {
            // Keep the message: part or all of it could not be stored as readings.
            try reject(record, writer: writer, reason: problems.joined(separator: "; "), deviceKey: rejectedDevice)
        }
        let outcome: Outcome = !problems.isEmpty ? (storedSomething ? .partlyRejected : .rejected)
            : storedSomething ? .stored : !keptPending.isEmpty ? .pending : .ignored
        writer.count(outcome.counter)
    }

    /// What became of one message; exactly one outcome counter is incremented per message, so that
    /// `messages_received` equals the sum of the outcome counters.
    enum Outcome: String {
        case stored, partlyRejected = "partly_rejected", rejected, pending, ignored
        /// Spelled out rather than interpolated: one of them is counted for every message.
        var counter: String {
            switch self {
            case .stored: "outcome_stored"
            case .partlyRejected: "outcome_partly_rejected"
            case .rejected: "outcome_rejected"
            case .pending: "outcome_pending"
            case .ignored: "outcome_ignored"
            }
        }
    }

    private func reject(_ record: JournalRecord, writer: ReadingWriter, reason: String, deviceKey: String? = nil) throws {
        logger.warning("message rejected", metadata: ["topic": "\(record.topic)", "reason": "\(reason)",
                                                       "subscription": "\(record.subscription)", "device": "\(deviceKey ?? "-")"])
        try writer.reject(subscription: record.subscription, topic: record.topic, payload: record.payload,
                          payloadLimit: payloadLimit, reason: reason, deviceKey: deviceKey, receivedAt: record.receivedAt)
    }
}
