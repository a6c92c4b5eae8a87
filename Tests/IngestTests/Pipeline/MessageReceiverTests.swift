import Assets
import Foundation
import Logging
import MQTT
import Storage
import Testing
@testable import Ingest

/// Redeliveries after a reconnection are recognised as a replay of the journaled history, and nothing else is.
struct MessageReceiverTests {
    let directory = NSTemporaryDirectory() + "pmc-receiver-\(UUID().uuidString.prefix(8))"
    let subscriptions = [Subscription(topic: "zigbee2mqtt/#", format: "zigbee2mqtt")]

    func message(_ sequence: Int) -> MQTTMessage {
        MQTTMessage(topic: "zigbee2mqtt/room", payload: Array(#"{"seq":\#(sequence)}"#.utf8))
    }

    func receiver(_ journal: Journal, _ counters: IngestCounters = IngestCounters()) -> MessageReceiver {
        MessageReceiver(journal: journal, subscriptions: subscriptions, counters: counters, logger: Logger(label: "test"))
    }

    func journaled(_ journal: Journal) throws -> [String] {
        let reader = try JournalReader(journal: journal, from: nil)
        return try reader.read(maxRecords: 10_000) { _ in }.map { String(decoding: $0.record.payload, as: UTF8.self) }
    }

    @Test("the unacknowledged tail the broker resends after a reconnection is dropped, then new messages flow")
    func redeliveredTailDropped() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal(directory: directory)
        let counters = IngestCounters()
        let receiver = receiver(journal, counters)
        receiver.connected()
        for sequence in 1...10 { receiver.receive(message(sequence)) }
        receiver.connected() // the broker restarted; it resends 6…10, then sends 11
        for sequence in 6...11 { receiver.receive(message(sequence)) }
        #expect(try journaled(journal) == (1...11).map { #"{"seq":\#($0)}"# })
        #expect(counters.drain()["messages_redelivered_dropped"] == 5)
    }

    @Test("a message that does not continue the replay ends it: later repeats are new messages")
    func brokenRunEndsResynchronisation() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal(directory: directory)
        let receiver = receiver(journal)
        for sequence in 1...5 { receiver.receive(message(sequence)) }
        receiver.connected()
        receiver.receive(message(4))   // redelivery
        receiver.receive(message(9))   // new: breaks the run
        receiver.receive(message(5))   // no longer a replay: a device repeating itself
        #expect(try journaled(journal).count == 7)
    }

    @Test("a device repeating an identical payload loses at most one message per reconnection")
    func identicalPayloadsBounded() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal(directory: directory)
        let receiver = receiver(journal)
        for _ in 0..<5 { receiver.receive(message(0)) }
        receiver.connected()
        for _ in 0..<5 { receiver.receive(message(0)) }
        #expect(try journaled(journal).count == 9)
    }

    @Test("after a crash, the previous process's last messages are recognised from the journal")
    func redeliveryAcrossRestart() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let journal = try Journal(directory: directory)
            let receiver = receiver(journal)
            receiver.connected()
            for sequence in 1...100 { receiver.receive(message(sequence)) }
        }
        let journal = try Journal(directory: directory)
        let receiver = receiver(journal)
        receiver.connected()
        for sequence in 98...102 { receiver.receive(message(sequence)) }
        let reader = try JournalReader(journal: journal, from: JournalPosition(segment: journal.end.segment, offset: 0))
        let fresh = try reader.read(maxRecords: 100) { _ in }.map { String(decoding: $0.record.payload, as: UTF8.self) }
        #expect(fresh == [#"{"seq":101}"#, #"{"seq":102}"#])
    }
}
