import Assets
import Foundation
import Logging
import MQTT

/// The MQTT thread's side of ingest: name the subscription, drop a redelivery, append to the journal.
///
/// It returns only once the message is in the journal, because returning is what lets libmosquitto send the
/// PUBACK. If the journal cannot be written (disk full, read-only), it retries and does not return: the
/// message stays unacknowledged and the broker keeps it.
public final class MessageReceiver: @unchecked Sendable {
    /// How many journaled messages are remembered to recognise redeliveries. After a broker restart the
    /// broker resent here the last 187 of 1,000 messages already journaled (their PUBACKs were not yet
    /// processed when it stopped), so this must cover far more than the broker's in-flight window.
    static let rememberedMessages = 4096

    private let journal: Journal
    private let subscriptions: [(filter: String, name: String)]
    private let counters: IngestCounters
    private let logger: Logger
    private let retryDelay: TimeInterval
    // Only touched on the MQTT network thread (libmosquitto calls `connected()` there too).
    private var history: [UInt64]          // content hashes of the last journaled messages, circular
    private var appended = 0               // how many hashes were ever remembered (absolute index of the next)
    private var latestIndex = HashPositionTable(capacity: MessageReceiver.rememberedMessages)
    private var resynchronising = false
    private var expectedIndex: Int?
    // Topics repeat (one or a few per device): remember which subscription each matched.
    private var subscriptionByTopic: [String: String] = [:]

    public init(journal: Journal, subscriptions: [Subscription], counters: IngestCounters, logger: Logger, retryDelay: TimeInterval = 1) {
        self.journal = journal
        self.subscriptions = subscriptions.map { (MQTTTopic.stripShare($0.topic), $0.name) }
        self.counters = counters
        self.logger = logger
        self.retryDelay = retryDelay
        self.history = Array(repeating: 0, count: Self.rememberedMessages)
        // Records written by the previous process: those it had not acknowledged yet will come again.
        for hash in journal.recentHashes.suffix(Self.rememberedMessages) { remember(hash) }
    }

    /// Called on each (re)connection. A broker first resends, in their original order, the messages it has no
    /// PUBACK for. So the messages that follow a connection are redeliveries exactly while they replay a
    /// contiguous run of the journaled history, starting at the latest occurrence of the first one; the
    /// first message that breaks the run, or comes after the end of the history, is new.
    public func connected() {
        resynchronising = appended > 0
        expectedIndex = nil
    }

    /// True when `hash` continues the replay of already-journaled messages (and is therefore a redelivery).
    private func isRedelivery(_ hash: UInt64) -> Bool {
        guard resynchronising else { return false }
        let oldest = max(0, appended - history.count)
        let index: Int?
        if let expected = expectedIndex {
            index = expected < appended && history[expected % history.count] == hash ? expected : nil
        } else {
            index = latestIndex[hash].flatMap { $0 >= oldest ? $0 : nil }
        }
        guard let index else {
            resynchronising = false
            return false
        }
        expectedIndex = index + 1
        return true
    }

    /// Handles one message on the MQTT thread.
    public func receive(_ message: MQTTMessage) {
        let name = subscriptionName(for: message.topic)
        let record = JournalRecord(receivedAt: Int64(Date().timeIntervalSince1970 * 1000), subscription: name,
                                   topic: message.topic, payload: message.payload)
        let hash = record.contentHash
        if isRedelivery(hash) {
            counters.increment("messages_redelivered_dropped")
            logger.debug("dropped a redelivered message already journaled", metadata: ["topic": "\(message.topic)"])
            return
        }
        var attempts = 0
        while true {
            do {
                try journal.append(record, contentHash: hash)
                break
            } catch {
                attempts += 1
                counters.increment("journal_write_errors")
                if attempts == 1 || attempts % 60 == 0 {
                    logger.error("cannot write the journal; the message stays unacknowledged at the broker until space returns",
                                 metadata: ["topic": "\(message.topic)", "error": "\(error)"])
                }
                Thread.sleep(forTimeInterval: retryDelay)
            }
        }
        if attempts > 0 { logger.notice("journal writable again", metadata: ["after_attempts": "\(attempts)"]) }
        remember(hash)
    }

    private func subscriptionName(for topic: String) -> String {
        if let name = subscriptionByTopic[topic] { return name }
        let name = subscriptions.first { MQTTTopic.matches($0.filter, topic) }?.name ?? subscriptions.first?.name ?? "unknown"
        if subscriptionByTopic.count >= 100_000 { subscriptionByTopic.removeAll(keepingCapacity: true) }
        subscriptionByTopic[topic] = name
        return name
    }

    private func remember(_ hash: UInt64) {
        let slot = appended % history.count
        if appended >= history.count, latestIndex[history[slot]] == appended - history.count {
            latestIndex.remove(history[slot])
        }
        history[slot] = hash
        latestIndex.set(hash, position: appended)
        appended += 1
    }
}
