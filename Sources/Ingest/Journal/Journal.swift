import Storage
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The append-only journal that makes an MQTT acknowledgement safe.
///
/// libmosquitto sends the PUBACK of a QoS 1 message only after `on_message` returns (threaded loop). The
/// callback appends the message here with one `write(2)` before returning, so an acknowledged message is in
/// the kernel's page cache: it survives the gateway being killed at any instant (not a power cut unless
/// `sync` is on). The ingest writer reads the journal, stores readings and records in the same SQLite
/// transaction how far it got; segments behind that checkpoint are deleted.
public final class Journal: @unchecked Sendable {
    public let directory: String
    private let segmentSize: Int64
    private let sync: Bool
    // `lock` guards the writer state below; appends come from the MQTT thread, reads from the writer thread.
    private let lock = NSCondition()
    private var fd: Int32 = -1
    private var activeSegment: Int64 = 0
    private var activeOffset: Int64 = 0
    private var encodeBuffer: [UInt8] = []
    private var waiting = false

    /// Hashes of the last records written before this process started: a message the broker redelivers
    /// because the previous process died before acknowledging it is among them.
    public private(set) var recentHashes: [UInt64] = []

    /// Opens the journal folder: repairs a torn tail left by a crash and starts a fresh segment for appends.
    public init(directory: String, segmentSize: Int64 = 64 << 20, sync: Bool = false, recentHashCount: Int = 4096) throws {
        self.directory = directory
        self.segmentSize = segmentSize
        self.sync = sync
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let segments = try Self.segments(in: directory)
        if let last = segments.last {
            recentHashes = try Self.repairTail(path: Self.path(directory, last), keepHashes: recentHashCount)
        }
        activeSegment = (segments.last ?? 0) + 1
        try openActiveSegment()
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Appends a record. Returns once the bytes are in the kernel (and on disk if `sync`).
    /// Throws on a write failure (disk full, read-only file system): the caller must not acknowledge.
    public func append(_ record: JournalRecord) throws {
        lock.lock()
        defer { lock.unlock() }
        JournalFraming.encode(record, into: &encodeBuffer)
        if activeOffset > 0, activeOffset + Int64(encodeBuffer.count) > segmentSize {
            try rotate()
        }
        let written = encodeBuffer.withUnsafeBytes { bytes in
            Glibc.pwrite(fd, bytes.baseAddress, bytes.count, off_t(activeOffset))
        }
        guard written == encodeBuffer.count else {
            let code = written < 0 ? errno : ENOSPC
            // Cut anything partially written so that the next record starts on a clean boundary.
            _ = ftruncate(fd, off_t(activeOffset))
            throw JournalError(operation: "write", path: Self.path(directory, activeSegment), errno: code)
        }
        if sync, fdatasync(fd) != 0 {
            let code = errno
            _ = ftruncate(fd, off_t(activeOffset))
            throw JournalError(operation: "fdatasync", path: Self.path(directory, activeSegment), errno: code)
        }
        activeOffset += Int64(encodeBuffer.count)
        if waiting { lock.signal() }
    }

    /// The position just after the last appended record.
    public var end: JournalPosition {
        lock.lock()
        defer { lock.unlock() }
        return JournalPosition(segment: activeSegment, offset: activeOffset)
    }

    /// Blocks until the journal extends beyond `position` or `timeout` passes. Returns the current end.
    @discardableResult
    public func waitForData(after position: JournalPosition, timeout: TimeInterval) -> JournalPosition {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while JournalPosition(segment: activeSegment, offset: activeOffset) <= position {
            waiting = true
            let signalled = lock.wait(until: deadline)
            waiting = false
            if !signalled { break }
        }
        return JournalPosition(segment: activeSegment, offset: activeOffset)
    }

    /// Wakes a reader blocked in `waitForData` (used at shutdown).
    public func wakeReaders() {
        lock.lock()
        lock.broadcast()
        lock.unlock()
    }

    /// Deletes the segments entirely before `position`: their records are in the database.
    public func deleteSegments(before position: JournalPosition) {
        guard let segments = try? Self.segments(in: directory) else { return }
        for segment in segments where segment < position.segment {
            unlink(Self.path(directory, segment))
        }
    }

    /// Total bytes of all segments (the backlog plus what is kept).
    public func diskUsage() -> Int64 {
        guard let segments = try? Self.segments(in: directory) else { return 0 }
        return segments.reduce(0) { total, segment in
            var info = stat()
            return stat(Self.path(directory, segment), &info) == 0 ? total + Int64(info.st_size) : total
        }
    }

    private func rotate() throws {
        if sync { _ = fsync(fd) }
        close(fd)
        activeSegment += 1
        activeOffset = 0
        try openActiveSegment()
    }

    private func openActiveSegment() throws {
        let path = Self.path(directory, activeSegment)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JournalError(operation: "open", path: path, errno: errno) }
        if sync {
            // Make the new file's directory entry durable too.
            let dirFD = open(directory, O_RDONLY | O_CLOEXEC)
            if dirFD >= 0 { _ = fsync(dirFD); close(dirFD) }
        }
    }

    // MARK: - Files

    static func path(_ directory: String, _ segment: Int64) -> String {
        directory + "/" + String(format: "segment-%016lld.journal", segment)
    }

    /// Segment numbers present in the folder, ascending.
    static func segments(in directory: String) throws -> [Int64] {
        try FileManager.default.contentsOfDirectory(atPath: directory).compactMap { name -> Int64? in
            guard name.hasPrefix("segment-"), name.hasSuffix(".journal") else { return nil }
            return Int64(name.dropFirst("segment-".count).dropLast(".journal".count))
        }.sorted()
    }

    /// Truncates a segment after its last complete record (a crash may leave half a record) and returns the
    /// content hashes of its last records.
    static func repairTail(path: String, keepHashes: Int) throws -> [UInt64] {
        let reader = try SegmentReader(path: path)
        var hashes: [UInt64] = []
        var validEnd: Int64 = 0
        while case .record(let record, let end) = try reader.next(limit: .max) {
            hashes.append(record.contentHash)
            if hashes.count > keepHashes * 2 { hashes.removeFirst(hashes.count - keepHashes) }
            validEnd = end
        }
        if validEnd < reader.fileSize {
            truncate(path, off_t(validEnd))
        }
        return Array(hashes.suffix(keepHashes))
    }
}
