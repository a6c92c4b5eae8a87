import Foundation
import Storage
import Testing
@testable import Ingest

struct JournalTests {
    func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "pmc-journal-\(UUID().uuidString.prefix(8))"
    }

    func record(_ index: Int) -> JournalRecord {
        JournalRecord(receivedAt: 1_763_631_000_000 + Int64(index), subscription: "s", topic: "t/\(index)",
                      payload: Array("{\"seq\":\(index)}".utf8))
    }

    @Test("records written are read back in order, across segment rotation")
    func roundTripAcrossSegments() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal(directory: directory, segmentSize: 1_000)
        for index in 0..<200 { try journal.append(record(index)) }
        #expect(try Journal.segments(in: directory).count > 5)
        let reader = try JournalReader(journal: journal, from: nil)
        var read: [JournalRecord] = []
        while true {
            let entries = try reader.read(maxRecords: 37) { Issue.record("corrupt: \($0)") }
            if entries.isEmpty { break }
            read += entries.map(\.record)
        }
        #expect(read == (0..<200).map(record))
    }

    @Test("a restart resumes after the checkpoint and repairs a torn tail")
    func resumeAndRepair() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var checkpoint: JournalPosition?
        do {
            let journal = try Journal(directory: directory)
            for index in 0..<10 { try journal.append(record(index)) }
            let reader = try JournalReader(journal: journal, from: nil)
            checkpoint = try reader.read(maxRecords: 4) { _ in }.last?.end
        }
        // Simulate a crash in the middle of a write: half a record at the end of the segment.
        let segment = Journal.path(directory, try Journal.segments(in: directory).last!)
        let handle = FileHandle(forWritingAtPath: segment)!
        handle.seekToEndOfFile()
        handle.write(Data([0x50, 0x4D, 0x4A, 0x31, 0x40, 0, 0, 0, 1, 2]))
        try handle.close()

        let journal = try Journal(directory: directory)
        #expect(journal.recentHashes.last == record(9).contentHash)
        try journal.append(record(10))
        let reader = try JournalReader(journal: journal, from: checkpoint)
        let rest = try reader.read(maxRecords: 100) { Issue.record("corrupt: \($0)") }.map(\.record)
        #expect(rest == (4...10).map(record))
    }

    @Test("a damaged record left by an earlier run is reported and skipped; this run's own segments are read without checksums")
    func checksumsGuardEarlierRuns() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let journal = try Journal(directory: directory, segmentSize: 1)   // one record per segment
            for index in 0..<3 { try journal.append(record(index)) }
        }
        // Flip one payload byte of the middle segment's record (same length: only the checksum can tell; a damaged
        // last segment would be cut as a torn tail when the journal opens).
        let segments = try Journal.segments(in: directory)   // the last three hold records 0, 1, 2
        let earlier = Journal.path(directory, segments[segments.count - 2])
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: earlier)))
        bytes[bytes.count - 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: earlier))

        let journal = try Journal(directory: directory)
        #expect(journal.firstSegmentOfThisRun > (try Journal.segments(in: directory).first!))
        try journal.append(record(3))
        let reader = try JournalReader(journal: journal, from: nil)
        var reports: [String] = []
        var read: [JournalRecord] = []
        while true {
            let entries = try reader.read(maxRecords: 100) { reports.append($0) }
            if entries.isEmpty { break }
            read += entries.map(\.record)
        }
        #expect(reports.count == 1 && reports.first?.contains("checksum mismatch") == true)
        #expect(read == [record(0), record(2), record(3)])
    }

    @Test("segments behind the checkpoint are deleted, the live one is kept")
    func deletesAppliedSegments() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal(directory: directory, segmentSize: 500)
        for index in 0..<50 { try journal.append(record(index)) }
        let end = journal.end
        journal.deleteSegments(before: end)
        #expect(try Journal.segments(in: directory) == [end.segment])
    }
}
