import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Faults, as tests that count (issue #3): real Mosquitto brokers, the real `pmc-gateway` executable killed,
/// stopped and starved of disk, real SQLite files. Every test compares, number by number, what the broker
/// acknowledged with what is stored (`SequencedLoad`): nothing missing, nothing stored twice.
///
/// Random instants come from a seed printed at the start of the test; `PMC_FAULT_SEED=N` replays a run.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct FaultTests {
    static func seed(_ test: String) -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["PMC_FAULT_SEED"], let value = UInt64(text) { return value }
        let value = UInt64.random(in: 1...UInt64.max)
        print("FaultTests.\(test): PMC_FAULT_SEED=\(value)")
        return value
    }

    /// Waits until `expected` sequence numbers are stored (or `timeout`), lets a last batch land, and
    /// compares.
    static func settle(_ fixture: GatewayFixture, expected: Set<Int>, published: Set<Int>, timeout: TimeInterval) throws
        -> SequencedLoad.Comparison {
        try? eventually(timeout: timeout, "\(expected.count) sequence numbers stored") {
            let stored = try fixture.storedSequences()
            return expected.allSatisfy { stored[$0] != nil }
        }
        usleep(500_000)
        return SequencedLoad.compare(expected: expected, stored: try fixture.storedSequences(), published: published)
    }

    /// The sum of the `attempts=N` of the log lines containing `message` (swift-log puts metadata before the text).
    static func attempts(in log: String, of message: String, key: String = "attempts") -> Int {
        log.split(separator: "\n").filter { $0.contains(message) }.reduce(0) { total, line in
            guard let range = line.range(of: key + "=") else { return total }
            return total + (Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0)
        }
    }

    // MARK: - Gateway killed

    @Test("20 SIGKILLs of the gateway at random instants under load: 0 readings lost, 0 stored twice")
    func twentySigkillsUnderLoad() throws {
        let total = 16_000
        let devices = 100
        let seed = Self.seed("twentySigkillsUnderLoad")
        var random = SeededGenerator(seed: seed)
        let fixture = try GatewayFixture(name: "kill20", subscriptions: TestProfiles.subscriptions,
                                         inventory: SequencedLoad.inventory(devices: devices), profiles: TestProfiles.all)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        let load = BackgroundPublishing(publisher: publisher, indices: 0..<total, perSecond: 700) {
            SequencedLoad.message($0, devices: devices)
        }
        defer { load.stop() }

        var instants: [String] = []
        for kill in 1...20 {
            // A quarter of the kills hit start-up (migration, inventory sync, journal replay, connection, the
            // broker's redeliveries); the others hit the stream at any point.
            if Int.random(in: 0..<4, using: &random) == 0 {
                let delay = UInt32.random(in: 0...400_000, using: &random)
                usleep(delay)
                instants.append("\(delay / 1000) ms after start")
            } else {
                try fixture.waitUntilConnected()
                let delay = UInt32.random(in: 0...900_000, using: &random)
                usleep(delay)
                instants.append("\(delay / 1000) ms after connecting")
            }
            guard fixture.gateway?.isRunning == true else {
                throw TestFailure("the gateway exited by itself before kill \(kill):\n\(fixture.gatewayLog.suffix(3000))")
            }
            fixture.killGateway()
            try fixture.startGateway(waitUntilConnected: false)
        }
        try fixture.waitUntilConnected()
        try load.waitUntilFinished(timeout: 120)
        try publisher.waitForAcknowledgements(total, timeout: 60)

        let all = Set(0..<total)
        let comparison = try Self.settle(fixture, expected: all, published: all, timeout: 120)
        #expect(comparison.isExact, "seed \(seed); kills \(instants): \(comparison)")
        try fixture.stopGateway()
        #expect(try fixture.rollupMismatches() == [], "rollups disagree with the readings after the kills")
        let counters = try fixture.counters()
        // Each journal record applied once, and no redelivery journaled twice (a ChirpStack duplicate would be
        // refused by the (series, time) key but counted here).
        #expect(counters["messages_received"] == Int64(total), "\(counters)")
        #expect(counters["readings_duplicate"] == nil, "\(counters)")
        #expect(fixture.count("SELECT count(*) FROM rejected_messages") == 0)
        #expect(try fixture.integrityCheck() == ["ok"])
        print("FaultTests.sigkill: \(instants.count) kills; redeliveries recognised and dropped: \(counters["messages_redelivered_dropped"] ?? 0) (counted by runs that lived to commit them)")
    }

    // MARK: - Broker restarted

    @Test("Mosquitto restarted 5 times while a device keeps publishing: every acknowledged message stored exactly once")
    func fiveBrokerRestartsUnderLoad() throws {
        let total = 8_000
        let devices = 40
        let seed = Self.seed("fiveBrokerRestartsUnderLoad")
        var random = SeededGenerator(seed: seed)
        let fixture = try GatewayFixture(name: "restart5", subscriptions: TestProfiles.subscriptions,
                                         inventory: SequencedLoad.inventory(devices: devices), profiles: TestProfiles.all)
        try fixture.startGateway()
        // A device with a persistent session: libmosquitto reconnects by itself and resends what the broker had
        // not acknowledged.
        let publisher = try TestPublisher(port: fixture.broker.port, clientID: "fault-device-\(UUID().uuidString.prefix(6))",
                                          cleanSession: false)
        let load = BackgroundPublishing(publisher: publisher, indices: 0..<total, perSecond: 400) {
            SequencedLoad.message($0, devices: devices)
        }
        defer { load.stop() }
        var restarts: [String] = []
        for restart in 1...5 {
            // Each restart hits a connected gateway and a connected publisher, at a random instant of the stream.
            try eventually(timeout: 30, "the gateway connected") { fixture.connectionCount() >= restart }
            try eventually(timeout: 30, "the publisher connected") { publisher.connectionCount >= restart }
            let delay = UInt32.random(in: 300_000...2_000_000, using: &random)
            usleep(delay)
            try fixture.broker.restart()
            restarts.append("\(delay / 1000) ms after reconnecting, at message \(load.publishedCount)")
        }
        try load.waitUntilFinished(timeout: 120)
        try? eventually(timeout: 90, "every publication acknowledged") { publisher.acknowledgedTags.count == total }

        let acknowledged = publisher.acknowledgedTags
        let comparison = try Self.settle(fixture, expected: acknowledged, published: Set(0..<total), timeout: 120)
        #expect(comparison.isExact, "seed \(seed); restarts \(restarts): \(comparison)")
        #expect(acknowledged.count == total, "acknowledged \(acknowledged.count) of \(total) publications")
        #expect(publisher.connectionCount >= 6, "the publisher connected \(publisher.connectionCount) times")
        #expect(fixture.connectionCount() >= 6, "the gateway connected \(fixture.connectionCount()) times")
        #expect(fixture.gateway?.isRunning == true)
        let counters = try fixture.counters()
        #expect(counters["readings_duplicate"] == nil, "\(counters)")
        print("FaultTests.brokerRestarts: restarts \(restarts); publisher connections \(publisher.connectionCount), gateway connections \(fixture.connectionCount()); redeliveries recognised and dropped: \(counters["messages_redelivered_dropped"] ?? 0)")
    }

    @Test("gateway restarted twice while the broker is down: the messages the broker resends afterwards are recognised, none stored twice")
    func restartsWhileBrokerDownKeepRedeliveryMemory() throws {
        let total = 4_000
        let devices = 40
        let fixture = try GatewayFixture(name: "brokerdown", subscriptions: TestProfiles.subscriptions,
                                         inventory: SequencedLoad.inventory(devices: devices), profiles: TestProfiles.all)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port, clientID: "fault-device-\(UUID().uuidString.prefix(6))",
                                          cleanSession: false)
        let load = BackgroundPublishing(publisher: publisher, indices: 0..<total, perSecond: 1_000) {
            SequencedLoad.message($0, devices: devices)
        }
        defer { load.stop() }
        usleep(1_500_000)
        // The broker stops with messages the gateway journaled but whose PUBACK it had not processed: it will
        // resend them. Meanwhile the gateway is restarted twice (an upgrade, a reboot with the broker late):
        // the second run journals nothing, so its journal segment is empty.
        fixture.broker.stop()
        func started() -> Int { fixture.gatewayLog.components(separatedBy: "ingest running").count - 1 }
        for _ in 0..<2 {
            try fixture.stopGateway()
            let before = started()
            try fixture.startGateway(waitUntilConnected: false)
            try eventually(timeout: 30, "the gateway running (its journal open)") { started() > before }
        }
        try fixture.broker.start()
        try fixture.waitUntilConnected()
        try load.waitUntilFinished(timeout: 60)
        try? eventually(timeout: 60, "every publication acknowledged") { publisher.acknowledgedTags.count == total }

        let acknowledged = publisher.acknowledgedTags
        let comparison = try Self.settle(fixture, expected: acknowledged, published: Set(0..<total), timeout: 60)
        let counters = try fixture.counters()
        #expect(comparison.isExact, "\(comparison); counters \(counters)")
        #expect(acknowledged.count == total)
        #expect(counters["readings_duplicate"] == nil, "\(counters)")
        // The scenario happened: the broker did resend journaled messages, and they were recognised.
        #expect((counters["messages_redelivered_dropped"] ?? 0) > 0, "\(counters)")
        print("FaultTests.brokerDown: redeliveries recognised and dropped after the two restarts: \(counters["messages_redelivered_dropped"] ?? 0)")
    }

    // MARK: - Gateway stopped, devices keep publishing

    @Test("gateway stopped while 5,000 devices keep publishing: with the shipped mosquitto.conf nothing is dropped, the backlog drains")
    func backlogOfFiveThousandDevicesDrains() throws {
        let devices = 5_000
        let total = devices * 4
        let queue = try BrokerQueueSettings.shipped()
        let fixture = try GatewayFixture(name: "backlog5k", subscriptions: TestProfiles.subscriptions,
                                         inventory: SequencedLoad.inventory(devices: devices), profiles: TestProfiles.all,
                                         brokerQueue: queue)
        try fixture.startGateway(waitUntilConnected: false)
        try fixture.waitUntilConnected(timeout: 120)
        let publisher = try TestPublisher(port: fixture.broker.port)
        let load = BackgroundPublishing(publisher: publisher, indices: 0..<total, perSecond: 2_000) {
            SequencedLoad.message($0, devices: devices)
        }
        defer { load.stop() }
        usleep(1_500_000)
        try fixture.stopGateway()
        let storedAtStop = try fixture.storedSequences().count
        usleep(5_000_000)
        let backlog = load.publishedCount - storedAtStop
        let restart = Date()
        try fixture.startGateway(waitUntilConnected: false)
        try fixture.waitUntilConnected(timeout: 120)
        try load.waitUntilFinished(timeout: 120)
        try publisher.waitForAcknowledgements(total, timeout: 60)

        let all = Set(0..<total)
        let comparison = try Self.settle(fixture, expected: all, published: all, timeout: 180)
        let drained = -restart.timeIntervalSinceNow
        #expect(comparison.isExact, "queue \(queue), backlog \(backlog): \(comparison)")
        // The outage queued far more than Mosquitto's default limit of 1,000 messages per client.
        #expect(backlog > 5_000, "only \(backlog) messages were queued during the outage")
        #expect(!fixture.broker.log.contains("dropped"), "broker log:\n\(fixture.broker.log.suffix(2000))")
        print("FaultTests.backlog: \(backlog) messages queued by the broker during the outage (\(queue)); all \(total) stored \(String(format: "%.1f", drained)) s after the restart")
    }

    @Test("control: with Mosquitto's default queue limit the same kind of outage loses messages, and the count shows it")
    func defaultQueueLimitDropsAndIsSeen() throws {
        let devices = 1_000
        let total = 5_000
        let fixture = try GatewayFixture(name: "backlogdefault", subscriptions: TestProfiles.subscriptions,
                                         inventory: SequencedLoad.inventory(devices: devices), profiles: TestProfiles.all,
                                         brokerQueue: .mosquittoDefaults)
        try fixture.startGateway()
        try fixture.stopGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        for index in 0..<total {
            try publisher.publishSequenced(index, devices: devices)
        }
        try publisher.waitForAcknowledgements(total, timeout: 60)
        try fixture.startGateway()
        let all = Set(0..<total)
        try eventually(timeout: 60, "the queue drained") { try fixture.storedSequences().count >= 1_000 }
        // Let what the broker kept arrive, then count.
        var previous = -1
        try eventually(timeout: 60, "stored count stable") {
            let now = try fixture.storedSequences().count
            defer { previous = now }
            usleep(500_000)
            return now == previous
        }
        let comparison = SequencedLoad.compare(expected: all, stored: try fixture.storedSequences())
        #expect(comparison.missing.count >= total - 1_100, "\(comparison)")
        #expect(comparison.duplicated.isEmpty)
        #expect(fixture.broker.log.contains("Outgoing messages are being dropped"), "broker log:\n\(fixture.broker.log.suffix(2000))")
    }

    // MARK: - Disk full, read-only

    /// A gateway whose database and journal live on a real, small ext4 disk (as `var/` does on a box).
    static func gatewayOnSmallDisk(_ name: String, devices: Int, megabytes: Int) throws -> (GatewayFixture, LoopFilesystem) {
        let fixture = try GatewayFixture(name: name, subscriptions: TestProfiles.subscriptions,
                                         inventory: SequencedLoad.inventory(devices: devices), profiles: TestProfiles.all,
                                         database: "disk/gateway.sqlite", journal: "disk/journal")
        let disk = try LoopFilesystem(mountPoint: fixture.directory + "/disk", megabytes: megabytes)
        fixture.onTeardown.append { disk.unmount() }
        return (fixture, disk)
    }

    @Test("disk full (database and journal on one small ext4 disk): ingest pauses, is logged and counted, resumes when space returns; nothing acknowledged lost, no corruption",
          .enabled(if: LoopFilesystem.isAvailable, "needs root and loop devices: \(LoopFilesystem.unavailableReason ?? "")"))
    func diskFullPausesAndResumes() throws {
        let devices = 40
        let before = 500
        let total = 4_500
        let (fixture, disk) = try Self.gatewayOnSmallDisk("diskfull", devices: devices, megabytes: 64)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        for index in 0..<before {
            try publisher.publishSequenced(index, devices: devices)
        }
        try eventually(timeout: 30, "the first \(before) stored") { try fixture.storedSequences().count >= before }

        let filled = try disk.fill()
        // 6 kB messages: the 16 MiB journal segment preallocated at start fills too, so both the database and
        // the journal run out of space.
        let load = BackgroundPublishing(publisher: publisher, indices: before..<total, perSecond: 500) {
            SequencedLoad.message($0, devices: devices, padding: 6_000)
        }
        defer { load.stop() }
        try eventually(timeout: 30, "the gateway reports that the database cannot be written") {
            fixture.gatewayLog.contains("cannot write the database")
        }
        try load.waitUntilFinished(timeout: 60)
        try eventually(timeout: 30, "the journal full as well") { fixture.gatewayLog.contains("cannot write the journal") }
        // The journal gave back the unused end of its last segment when it failed to start a new one: take that too.
        try disk.fill()
        let storedWhenPaused = try fixture.storedSequences().count
        usleep(1_500_000)
        let storedWhileFull = try fixture.storedSequences().count
        let acknowledgedWhileFull = publisher.acknowledgedTags.count
        #expect(storedWhileFull == storedWhenPaused, "ingest went on while the disk was full")
        #expect(acknowledgedWhileFull > storedWhileFull, "acknowledged \(acknowledgedWhileFull), stored \(storedWhileFull)")
        #expect(fixture.gateway?.isRunning == true)

        disk.freeSpace()
        try publisher.waitForAcknowledgements(total, timeout: 60)
        let all = Set(0..<total)
        let comparison = try Self.settle(fixture, expected: all, published: all, timeout: 90)
        #expect(comparison.isExact, "\(comparison)")
        #expect(fixture.gatewayLog.contains("database writable again; ingest resumed"))
        #expect(fixture.gatewayLog.contains("journal writable again"))
        try fixture.stopGateway()

        #expect(try fixture.integrityCheck() == ["ok"])
        #expect(try fixture.rollupMismatches() == [], "rollups disagree with the readings after the outage")
        let counters = try fixture.counters()
        let storageAttempts = Self.attempts(in: fixture.gatewayLog, of: "database writable again")
        let journalAttempts = Self.attempts(in: fixture.gatewayLog, of: "journal writable again", key: "after_attempts")
        // Every failed batch attempt is counted (a failed idle rollup refresh adds to them).
        #expect(storageAttempts > 0 && (counters["storage_write_errors"] ?? 0) >= Int64(storageAttempts),
                "storage_write_errors \(counters["storage_write_errors"] ?? 0), failed attempts in the log \(storageAttempts)")
        #expect(journalAttempts > 0 && counters["journal_write_errors"] == Int64(journalAttempts),
                "journal_write_errors \(counters["journal_write_errors"] ?? 0), failed attempts in the log \(journalAttempts)")
        #expect(counters["messages_received"] == Int64(total), "\(counters)")
        print("FaultTests.diskFull: filler \(filled >> 20) MiB; \(acknowledgedWhileFull - storedWhileFull) acknowledged messages waited in the journal; storage attempts \(storageAttempts), journal attempts \(journalAttempts)")
    }

    @Test("disk filling up at a low message rate, whichever write meets the full disk first: ingest pauses and resumes, nothing acknowledged lost",
          .enabled(if: LoopFilesystem.isAvailable, "needs root and loop devices: \(LoopFilesystem.unavailableReason ?? "")"))
    func diskFillingSlowlyPausesAndResumes() throws {
        let devices = 40
        let before = 200
        let total = 4_000
        let (fixture, disk) = try Self.gatewayOnSmallDisk("slowfill", devices: devices, megabytes: 64)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        for index in 0..<before {
            try publisher.publishSequenced(index, devices: devices)
        }
        try eventually(timeout: 30, "the first \(before) stored") { try fixture.storedSequences().count >= before }

        // A little space left, then one message at a time with the writer idle in between (a quiet commune):
        // each batch and what follows it (rollup refresh, housekeeping) eat the rest, until one of them fails.
        // (The WAL is checkpointed and restarts every 200 ms, so it no longer grows by megabytes; measurements and
        // hourly rollups are appended time first, a few dozen bytes a message here: 8–100 kB must go, which takes
        // from one message to a few thousand depending on the log's size when the disk fills.)
        var random = SeededGenerator(seed: Self.seed("diskFillingSlowlyPausesAndResumes"))
        try disk.fill(leaving: Int.random(in: 8...100, using: &random) << 10)
        var index = before
        let deadline = Date(timeIntervalSinceNow: 100)
        while index < total - 100, Date() < deadline, !fixture.gatewayLog.contains("cannot write the database") {
            try publisher.publishSequenced(index, devices: devices)
            index += 1
            usleep(15_000)
        }
        #expect(fixture.gatewayLog.contains("cannot write the database"), "the disk never filled up (\(disk.availableBytes) bytes free)")
        let full = index
        // A little longer on the full disk, then space comes back and the rest follows.
        for _ in 0..<50 where index < total {
            try publisher.publishSequenced(index, devices: devices)
            index += 1
            usleep(40_000)
        }
        usleep(1_000_000)
        #expect(fixture.gateway?.isRunning == true)
        disk.freeSpace()
        while index < total {
            try publisher.publishSequenced(index, devices: devices)
            index += 1
        }
        try publisher.waitForAcknowledgements(total, timeout: 60)
        let all = Set(0..<total)
        let comparison = try Self.settle(fixture, expected: all, published: all, timeout: 60)
        #expect(comparison.isExact, "disk full at message \(full): \(comparison)")
        #expect(!fixture.gatewayLog.contains("storage writer stopped"), "\(fixture.gatewayLog.split(separator: "\n").filter { $0.contains("critical") })")
        try fixture.stopGateway()
        #expect(try fixture.integrityCheck() == ["ok"])
        #expect(try fixture.rollupMismatches() == [], "rollups disagree with the readings after the outage")
        let counters = try fixture.counters()
        #expect(counters["messages_received"] == Int64(total), "\(counters)")
        let failure = fixture.gatewayLog.split(separator: "\n").first { $0.contains("cannot write the database") }.map(String.init) ?? ""
        print("FaultTests.slowFill: disk full at message \(full); \(failure.suffix(250))")
    }

    @Test("database files made read-only under load (immutable: every write refused, root's too): ingest pauses, is logged and counted, resumes; nothing acknowledged lost, no corruption",
          .enabled(if: LoopFilesystem.isAvailable, "needs root and loop devices: \(LoopFilesystem.unavailableReason ?? "")"))
    func readOnlyDatabasePausesAndResumes() throws {
        let devices = 40
        let before = 500
        let total = 3_500
        let (fixture, disk) = try Self.gatewayOnSmallDisk("readonly", devices: devices, megabytes: 64)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        for index in 0..<before {
            try publisher.publishSequenced(index, devices: devices)
        }
        try eventually(timeout: 30, "the first \(before) stored") { try fixture.storedSequences().count >= before }

        let load = BackgroundPublishing(publisher: publisher, indices: before..<total, perSecond: 500) {
            SequencedLoad.message($0, devices: devices)
        }
        defer { load.stop() }
        usleep(500_000)
        let files = [fixture.databasePath, fixture.databasePath + "-wal"]
        try disk.setImmutable(files, true)
        try eventually(timeout: 30, "the gateway reports that the database cannot be written") {
            fixture.gatewayLog.contains("cannot write the database")
        }
        let storedWhenPaused = try fixture.storedSequences().count
        usleep(3_000_000)
        let storedWhileReadOnly = try fixture.storedSequences().count
        let acknowledgedWhileReadOnly = publisher.acknowledgedTags.count
        #expect(storedWhileReadOnly == storedWhenPaused, "ingest went on while the database was read-only")
        #expect(acknowledgedWhileReadOnly > storedWhileReadOnly)
        #expect(fixture.gateway?.isRunning == true)

        try disk.setImmutable(files, false)
        try load.waitUntilFinished(timeout: 60)
        try publisher.waitForAcknowledgements(total, timeout: 60)
        let all = Set(0..<total)
        let comparison = try Self.settle(fixture, expected: all, published: all, timeout: 90)
        #expect(comparison.isExact, "\(comparison)")
        #expect(fixture.gatewayLog.contains("database writable again; ingest resumed"))
        try fixture.stopGateway()

        #expect(try fixture.integrityCheck() == ["ok"])
        #expect(try fixture.rollupMismatches() == [], "rollups disagree with the readings after the outage")
        let counters = try fixture.counters()
        let storageAttempts = Self.attempts(in: fixture.gatewayLog, of: "database writable again")
        // Every failed batch attempt is counted (a failed idle rollup refresh adds to them).
        #expect(storageAttempts > 0 && (counters["storage_write_errors"] ?? 0) >= Int64(storageAttempts),
                "storage_write_errors \(counters["storage_write_errors"] ?? 0), failed attempts in the log \(storageAttempts)")
        #expect(counters["messages_received"] == Int64(total), "\(counters)")
        let reason = fixture.gatewayLog.split(separator: "\n").first { $0.contains("cannot write the database") }.map(String.init) ?? ""
        print("FaultTests.readOnly: \(acknowledgedWhileReadOnly - storedWhileReadOnly) acknowledged messages waited in the journal; \(reason.suffix(300))")
    }

    // MARK: - Fuzzed payloads

    @Test("100,000 fuzzed payloads on every format through the broker: no crash, every message accounted for, every rejection with a reason, memory flat")
    func hundredThousandFuzzedPayloads() throws {
        let total = Int(ProcessInfo.processInfo.environment["PMC_FUZZ_MESSAGES"] ?? "") ?? 100_000
        let seed = Self.seed("hundredThousandFuzzedPayloads")
        var fuzzer = try PayloadFuzzer(seed: seed)
        let fixture = try GatewayFixture(name: "fuzz", subscriptions: PayloadFuzzer.subscriptions,
                                         inventory: TestProfiles.inventory(), profiles: TestProfiles.all)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        let sampler = MemorySampler(fixture)
        defer { sampler.stop() }
        let formats = PayloadFuzzer.formats
        var kinds: [PayloadFuzzer.Kind: Int] = [:]
        var bytes = 0
        var oversized = 0
        let start = Date()
        for index in 0..<total {
            let (topic, payload, kind) = fuzzer.next(format: formats[index % formats.count])
            kinds[kind, default: 0] += 1
            bytes += payload.count
            if payload.count > 256 * 1024 { oversized += 1 }
            try publisher.publishBytes(topic, payload)
            if index % 1_000 == 999 {
                // At most a few thousand publications in flight: the test's own memory stays bounded too.
                try eventually(timeout: 60, "the broker keeping up") { index - publisher.acknowledgedCount < 3_000 }
            }
        }
        try publisher.waitForAcknowledgements(total, timeout: 120)
        let published = -start.timeIntervalSinceNow
        try eventually(timeout: 240, "all \(total) messages processed") {
            guard fixture.gateway?.isRunning == true else { throw TestFailure("the gateway died:\n\(fixture.gatewayLog.suffix(3000))") }
            return (try fixture.counters()["messages_received"] ?? 0) >= Int64(total)
        }
        let processed = -start.timeIntervalSinceNow
        usleep(300_000)
        sampler.stop()

        // No crash: the one gateway process started is still running, connected once.
        #expect(fixture.gateway?.isRunning == true)
        #expect(fixture.connectionCount() == 1)
        #expect(!fixture.gatewayLog.contains("storage writer stopped"))
        // Every message ends in exactly one outcome.
        let counters = try fixture.counters()
        #expect(counters["messages_received"] == Int64(total), "\(counters)")
        let outcomes = counters.filter { $0.key.hasPrefix("outcome_") }.values.reduce(0, +)
        #expect(outcomes == Int64(total), "outcomes: \(counters)")
        // Every rejection kept with its reason.
        let rejectedRows = fixture.count("SELECT count(*) FROM rejected_messages")
        #expect(Int64(rejectedRows) == (counters["outcome_rejected"] ?? 0) + (counters["outcome_partly_rejected"] ?? 0), "\(counters)")
        #expect(fixture.count("SELECT count(*) FROM rejected_messages WHERE reason IS NULL OR length(reason) < 10") == 0)
        #expect((counters["outcome_rejected"] ?? 0) > Int64(total / 2), "\(counters)")
        #expect(fixture.count("SELECT count(*) FROM rejected_messages WHERE payload_size > 262144 AND reason LIKE '%exceeds%'") == oversized)
        #expect(try fixture.integrityCheck() == ["ok"])
        let reasons = try fixture.query { db in
            try db.prepare("SELECT substr(reason, 1, 60) AS r, count(*) FROM rejected_messages GROUP BY r ORDER BY 2 DESC LIMIT 6")
                .map { "\($0.int(1))× \($0.string(0))" }
        }
        print("FaultTests.fuzz: most frequent rejection reasons: \(reasons.joined(separator: " | "))")

        // Memory flat: the heap stops growing once the writer's SQLite page cache (32 MiB) has filled, in the
        // first half or two thirds of the run: its third quarter and its last quarter are within 16 MB of each
        // other (a leak of 700 bytes per message would exceed that). The resident size stays under the 150 MB
        // budget.
        let samples = sampler.samples
        #expect(samples.count > 10)
        if samples.count > 10 {
            func peak(_ from: Int, _ to: Int, _ value: (MemorySampler.Sample) -> Int) -> Int {
                samples[(samples.count * from / 4)..<(samples.count * to / 4)].map(value).max() ?? 0
            }
            let quarter = peak(2, 3, \.anonymousKB)
            let end = peak(3, 4, \.anonymousKB)
            let residentQuarter = peak(2, 3, \.residentKB)
            let residentEnd = peak(3, 4, \.residentKB)
            let peakResident = peak(0, 4, \.residentKB)
            #expect(end - quarter < 16_000, "heap grew from \(quarter) kB to \(end) kB")
            // The resident size also counts the journal's mapped segment (16 MiB at most).
            #expect(residentEnd - residentQuarter < 28_000, "VmRSS grew from \(residentQuarter) kB to \(residentEnd) kB")
            #expect(peakResident < 150_000, "peak VmRSS \(peakResident) kB")
            let deciles = (0..<10).map { samples[$0 * samples.count / 10].anonymousKB / 1024 }
            print("FaultTests.fuzz: heap at each tenth of the run (MiB): \(deciles)")
            print("FaultTests.fuzz: \(total) payloads (\(bytes >> 20) MiB) \(kinds.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")); published in \(String(format: "%.1f", published)) s, processed in \(String(format: "%.1f", processed)) s (\(Int(Double(total) / processed)) msg/s); heap \(quarter) → \(end) kB, peak VmRSS \(peakResident) kB; outcomes \(counters.filter { $0.key.hasPrefix("outcome_") })")
        }
    }
}
