import Assets
import Foundation
import Logging
import SQLiteDB
import Storage

/// The writer thread: follows the journal and applies records to SQLite in batches, each batch one
/// transaction that also records the journal checkpoint.
///
/// Batches grow with the backlog (one record when idle, up to `maxBatch` under load), which is what makes
/// the gateway both low-latency and fast: a large batch writes many readings of each series side by side in
/// the B-tree. A batch is read from the journal and applied `chunkSize` records at a time, so memory does not
/// grow with it. If the database cannot be written (disk full, read-only), the batch is rolled back and
/// retried with backoff from its start in the journal: the records wait there, nothing is lost.
public final class StorageWriter: @unchecked Sendable {
    private let databasePath: String
    private let journal: Journal
    private let processor: MessageProcessor
    private let counters: IngestCounters
    private let logger: Logger
    private let maxBatch: Int
    private let chunkSize = 1_000
    private let timeZone: TimeZone
    /// Makes the writer's observer (the alert rules) on the writer thread, where it lives.
    private let makeObserver: (@Sendable () -> any ReadingObserver)?
    // Guards `stopping`, `finished` and `appliedPosition`.
    private let state = NSCondition()
    private var stopping = false
    private var finished = false
    private var failure: (any Error)?
    private var appliedPosition: JournalPosition?
    private var thread: Thread?
    /// Consecutive idle rollup refreshes that met a storage outage (writer thread only).
    private var refreshFailures = 0

    private let housekeeping: Housekeeping
    private let checkpointer: WALCheckpointer
    private let payloadLimit: Int
    /// While messages trickle in, a batch starts at least this long after the previous commit. Without it the writer
    /// committed 2,170 times a second at 5,000 msg/s (2.3 messages and 7.4 pages per commit, 4.4 of them the same
    /// bookkeeping pages every time); with 3 ms: gateway CPU 76–78 % of a core instead of 95–96 %, the log written
    /// 35 % slower, publish→stored p50 +5 ms (`scripts/bench --latency-only`, alternated runs).
    private let commitSpacing: TimeInterval
    private var lastCommit = DispatchTime(uptimeNanoseconds: 0)

    public init(storage: StorageSettings, journal: Journal, processor: MessageProcessor, counters: IngestCounters,
                logger: Logger, timeZone: TimeZone = TimeZone(identifier: "Europe/Paris")!, maxBatch: Int = 20_000,
                commitSpacing: TimeInterval = 0.003, observer makeObserver: (@Sendable () -> any ReadingObserver)? = nil) {
        self.commitSpacing = commitSpacing
        self.timeZone = timeZone
        self.makeObserver = makeObserver
        self.housekeeping = Housekeeping(settings: storage, journal: journal, logger: logger)
        self.checkpointer = WALCheckpointer(databasePath: storage.database, logger: logger)
        self.payloadLimit = storage.rejectedPayloadLimit
        self.databasePath = storage.database
        self.journal = journal
        self.processor = processor
        self.counters = counters
        self.logger = logger
        self.maxBatch = maxBatch
    }

    public func start() {
        let thread = Thread { [self] in
            Thread.current.name = "pmc-storage-writer"
            run()
        }
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
        checkpointer.start()
    }

    /// Applies what is left in the journal, then stops. Returns the error that ended the thread, if any.
    @discardableResult
    public func stop() -> (any Error)? {
        state.lock()
        stopping = true
        state.unlock()
        journal.wakeReaders()
        state.lock()
        while !finished { state.wait() }
        let failure = self.failure
        state.unlock()
        checkpointer.stop()
        return failure
    }

    /// The journal position the database covers.
    public var applied: JournalPosition? { state.withLock { appliedPosition } }

    private var isStopping: Bool { state.withLock { stopping } }

    private func run() {
        do {
            try loop()
        } catch {
            logger.critical("storage writer stopped", metadata: ["error": "\(error)"])
            state.withLock { failure = error }
        }
        state.withLock { finished = true; state.broadcast() }
    }

    private func loop() throws {
        let connection = try Schema.open(path: databasePath)
        // With thousands of devices the default 2 MiB page cache thrashes (every batch touches measurement and
        // rollup pages all over the file); 16 MiB keeps the hot ones (32 MiB cost 19 MB of peak RSS, no measurable CPU).
        try connection.execute("PRAGMA cache_size = -16384")
        // Checkpoints are the checkpointer's job (off this thread), except after a full batch (below); a log that
        // grew past 64 MiB is cut back when it starts over.
        try connection.execute("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864")
        let writer = ReadingWriter(connection: connection, timeZone: timeZone)
        writer.observer = makeObserver?()
        var reader = try JournalReader(journal: journal, from: try writer.checkpoint())
        var lastSegment = reader.position.segment
        while true {
            let start = reader.position
            let entries = try read(reader, maxRecords: chunkSize)
            if entries.isEmpty {
                // At a stop, every pending hour, day and month is written (the next start would redo it from
                // `rollup_backlog` otherwise, but tools reading the database meanwhile would see stale days).
                let stopping = isStopping
                refreshRollupsWhenIdle(writer, complete: stopping)
                commitObserverWritesWhenIdle(writer)
                if stopping { return }
                try upkeep(connection: connection, writer: writer, idle: true)
                // Rollup work due: go on at once; days and months being refreshed slice by slice: come back soon.
                let wait: TimeInterval = refreshFailures > 0 ? 0.5 : writer.hasRollupWorkDue ? 0 : writer.isRefreshingRollups ? 0.05 : 0.5
                journal.waitForData(after: reader.position, timeout: wait)
                continue
            }
            if entries.count < chunkSize {
                // A trickle: let more arrive so that they share a commit (a backlog goes on at once).
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - lastCommit.uptimeNanoseconds) / 1e9
                if elapsed < commitSpacing { Thread.sleep(forTimeInterval: commitSpacing - elapsed) }
            }
            let (position, full) = try apply(startingWith: entries, from: start, reader: &reader, writer: writer)
            lastCommit = DispatchTime.now()
            if full {
                // Under a backlog each commit writes tens of thousands of pages: copy them back now rather than let
                // the log (and its index in memory) grow until the checkpointer catches up.
                _ = try? connection.checkpoint(.passive)
            }
            try upkeep(connection: connection, writer: writer, idle: false)
            state.withLock { appliedPosition = position }
            if position.segment != lastSegment {
                journal.deleteSegments(before: position)
                lastSegment = position.segment
            }
        }
    }

    private func read(_ reader: JournalReader, maxRecords: Int) throws -> [JournalReader.Entry] {
        try reader.read(maxRecords: maxRecords) { problem in
            logger.error("journal damaged; skipping", metadata: ["detail": "\(problem)"])
            counters.increment("journal_corrupt_regions")
        }
    }

    /// The idle rollup refresh must not stop ingest either: a storage outage is logged, counted, and the refresh
    /// retried at the next idle tick.
    private func refreshRollupsWhenIdle(_ writer: ReadingWriter, complete: Bool) {
        do {
            try writer.refreshPendingRollups(complete: complete)
            refreshFailures = 0
        } catch let error as SQLiteError where error.isStorageUnavailable {
            writer.rollback()
            refreshFailures += 1
            counters.increment("storage_write_errors")
            if refreshFailures == 1 || refreshFailures % 60 == 0 {
                logger.error("cannot write the database; rollup refresh postponed", metadata: ["error": "\(error)", "attempts": "\(refreshFailures)"])
            }
        } catch {
            writer.rollback()
            logger.error("rollup refresh failed; retried when idle", metadata: ["error": "\(error)"])
        }
    }

    /// What the observer has to write (the notifier's delivery results) goes in with the next batch, or here when
    /// no message comes; a failure is retried at the next idle tick.
    private func commitObserverWritesWhenIdle(_ writer: ReadingWriter) {
        guard writer.observerHasPendingWrites else { return }
        do {
            try writer.commitObserverWrites()
        } catch {
            writer.rollback()
            logger.warning("could not record alert deliveries; retried", metadata: ["error": "\(error)"])
        }
    }

    /// Housekeeping must not stop ingest: a storage outage is logged (and retried at the next tick).
    private func upkeep(connection: Connection, writer: ReadingWriter, idle: Bool) throws {
        do {
            try housekeeping.tick(connection: connection, writer: writer, idle: idle)
        } catch let error as SQLiteError where error.isStorageUnavailable {
            writer.rollback()
            logger.warning("housekeeping skipped: the database cannot be written", metadata: ["error": "\(error)"])
        }
    }

    /// Applies one batch: `firstChunk`, then more chunks while they are available at once, up to `maxBatch`
    /// records, in one transaction. Returns the journal position the database then covers.
    private func apply(startingWith firstChunk: [JournalReader.Entry], from start: JournalPosition,
                       reader: inout JournalReader, writer: ReadingWriter) throws -> (end: JournalPosition, full: Bool) {
        var delay: TimeInterval = 0.1
        var attempts = 0
        var chunk = firstChunk
        while true {
            // Counts from the MQTT thread (journal write errors, dropped redeliveries) and from failed attempts
            // (storage_write_errors) go into this batch; a batch rolled back gives them back.
            let pending = counters.drain()
            var end = start
            // The end of the last record read: a batch that fails on a record is redone one by one through here.
            var lastRead = chunk.last?.end ?? start
            do {
                try writer.begin()
                for (name, amount) in pending { writer.count(name, by: amount) }
                var count = 0
                var decoding = DecodeAhead(chunk.map(\.record), processor: processor)
                while !chunk.isEmpty {
                    let decodings = decoding.wait()
                    // The next chunk is read and decoded while this one is stored.
                    let next = count + chunk.count < maxBatch ? try read(reader, maxRecords: min(chunkSize, maxBatch - count - chunk.count)) : []
                    lastRead = next.last?.end ?? lastRead
                    decoding = DecodeAhead(next.map(\.record), processor: processor)
                    for (entry, decoded) in zip(chunk, decodings) {
                        try processor.apply(entry.record, decoded, writer: writer)
                        end = entry.end
                    }
                    count += chunk.count
                    chunk = next
                }
                // A full batch means more were waiting: a backlog, where hourly rollups may wait a little.
                try writer.commit(checkpoint: end, underLoad: count >= maxBatch)
                if attempts > 0 { logger.notice("database writable again; ingest resumed", metadata: ["attempts": "\(attempts)"]) }
                return (end, count >= maxBatch)
            } catch let error as SQLiteError where error.isStorageUnavailable {
                writer.rollback()
                for (name, amount) in pending { counters.increment(name, by: amount) }
                attempts += 1
                counters.increment("storage_write_errors")
                if attempts == 1 || attempts % 30 == 0 {
                    logger.error("cannot write the database; ingest paused, messages wait in the journal",
                                 metadata: ["error": "\(error)", "attempts": "\(attempts)"])
                }
                if isStopping, attempts >= 3 { throw error }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
                // The batch again, from its start in the journal (the records read so far were let go).
                reader = try JournalReader(journal: journal, from: start)
                chunk = try read(reader, maxRecords: chunkSize)
            } catch {
                // Not a storage outage: apply record by record so that one bad record cannot block the rest.
                writer.rollback()
                for (name, amount) in pending { counters.increment(name, by: amount) }
                logger.error("batch failed; retrying record by record", metadata: ["error": "\(error)"])
                reader = try JournalReader(journal: journal, from: start)
                return (try applyOneByOne(reader: reader, through: lastRead, writer: writer), false)
            }
        }
    }

    /// Applies the records from the reader's position through `last` (past the record that failed), each in its
    /// own transaction; a record that still fails is kept in the rejected store with the error.
    private func applyOneByOne(reader: JournalReader, through last: JournalPosition, writer: ReadingWriter) throws -> JournalPosition {
        var end = reader.position
        while end < last {
            let entries = try read(reader, maxRecords: 1)
            if entries.isEmpty { break }
            for entry in entries {
                end = entry.end
                do {
                    try writer.begin()
                    try processor.process(entry.record, writer: writer)
                    try writer.commit(checkpoint: entry.end)
                } catch let error as SQLiteError where error.isStorageUnavailable {
                    writer.rollback()
                    throw error
                } catch {
                    writer.rollback()
                    try writer.begin()
                    try writer.reject(subscription: entry.record.subscription, topic: entry.record.topic, payload: entry.record.payload,
                                      payloadLimit: payloadLimit, reason: "internal error while storing: \(error)", deviceKey: nil,
                                      receivedAt: entry.record.receivedAt)
                    try writer.commit(checkpoint: entry.end)
                }
            }
        }
        return end
    }
}
