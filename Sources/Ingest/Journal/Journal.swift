import Storage
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The append-only journal that makes an MQTT acknowledgement safe.
///
/// libmosquitto sends the PUBACK of a QoS 1 message only after the message callback returns (threaded mode).
/// The callback appends the message here before returning, so an acknowledged message is in the kernel's page
/// cache: it survives the gateway being killed at any instant (not a power cut unless `sync` is on). The ingest
/// writer reads the journal, stores readings and records in the same SQLite transaction how far it got;
/// segments behind that checkpoint are deleted.
///
/// A segment is preallocated (`posix_fallocate`, so a full disk is reported before a message is accepted, never
/// as a SIGBUS later) and mapped shared: an append is a `memcpy` into the page cache, with no system call.
public final class Journal: @unchecked Sendable {
    public let directory: String
    private let segmentSize: Int64
    private let sync: Bool
    // `lock` guards the writer state below; appends come from the MQTT thread, reads from the writer thread.
    private let lock = NSCondition()
    private var fd: Int32 = -1
    private var map: UnsafeMutableRawPointer?
    private var mapSize: Int64 = 0
    private var activeSegment: Int64 = 0
    private var activeOffset: Int64 = 0
    private var waiting = false

    /// Hashes of the last records written before this process started: a message the broker redelivers
    /// because the previous process died before acknowledging it is among them.
    public private(set) var recentHashes: [UInt64] = []

    /// The first segment this process appends to. Its records, and later ones, were copied whole into the mapping
    /// by this process and cannot be torn: readers skip their checksums (which protect what a crash left behind).
    public let firstSegmentOfThisRun: Int64

    /// Opens the journal folder: repairs a torn tail left by a crash and starts a fresh segment for appends.
    public init(directory: String, segmentSize: Int64 = 16 << 20, sync: Bool = false, recentHashCount: Int = 4096) throws {
        self.directory = directory
        self.segmentSize = segmentSize
        self.sync = sync
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let segments = try Self.segments(in: directory)
        if let last = segments.last {
            recentHashes = try Self.repairTail(path: Self.path(directory, last), keepHashes: recentHashCount)
            // A run stopped or killed before it journaled much (e.g. restarted while the broker was down)
            // leaves a short or empty last segment, while the broker may still resend what an earlier run
            // journaled: take the hashes of earlier segments too.
            for segment in segments.dropLast().reversed() where recentHashes.count < recentHashCount {
                recentHashes = try Self.lastHashes(path: Self.path(directory, segment), keep: recentHashCount - recentHashes.count)
                    + recentHashes
            }
        }
        activeSegment = (segments.last ?? 0) + 1
        firstSegmentOfThisRun = activeSegment
        try openActiveSegment(minimumSize: 0)
    }

    deinit {
        closeActiveSegment()
    }

    /// Appends a record. Returns once the bytes are in the page cache (and on disk if `sync`).
    /// Throws when no space can be allocated (disk full, read-only file system): the caller must not acknowledge.
    /// - Parameter contentHash: `record.contentHash` when the caller has it already (it goes into the frame's check).
    public func append(_ record: JournalRecord, contentHash: UInt64? = nil) throws {
        lock.lock()
        defer { lock.unlock() }
        let size = Int64(JournalFraming.encodedSize(record))
        if map == nil {
            try openActiveSegment(minimumSize: size) // an earlier rotation could not allocate: try again
        } else if activeOffset + size > mapSize {
            try rotate(minimumSize: size)
        }
        guard let map else { throw JournalError(operation: "map", path: Self.path(directory, activeSegment), errno: ENOMEM) }
        let start = map + Int(activeOffset)
        JournalFraming.encode(record, contentHash: contentHash, into: start)
        if sync {
            // msync wants a page-aligned start.
            let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))
            let alignedOffset = activeOffset / pageSize * pageSize
            if msync(map + Int(alignedOffset), Int(activeOffset + size - alignedOffset), MS_SYNC) != 0 {
                let code = errno
                memset(start, 0, Int(size))
                throw JournalError(operation: "msync", path: Self.path(directory, activeSegment), errno: code)
            }
        }
        activeOffset += size
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

    private func rotate(minimumSize: Int64) throws {
        closeActiveSegment()
        activeSegment += 1
        activeOffset = 0
        try openActiveSegment(minimumSize: minimumSize)
    }

    /// Unmaps the active segment and cuts it to the bytes written, so a finished segment ends at its last record.
    private func closeActiveSegment() {
        guard fd >= 0 else { return }
        if let map {
            if sync { msync(map, Int(mapSize), MS_SYNC) }
            munmap(map, Int(mapSize))
        }
        map = nil
        _ = ftruncate(fd, off_t(activeOffset))
        if sync { _ = fsync(fd) }
        close(fd)
        fd = -1
    }

    private func openActiveSegment(minimumSize: Int64) throws {
        let path = Self.path(directory, activeSegment)
        let size = max(segmentSize, minimumSize)
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JournalError(operation: "open", path: path, errno: errno) }
        let allocated = posix_fallocate(descriptor, 0, off_t(size))
        guard allocated == 0 else {
            close(descriptor)
            unlink(path)
            throw JournalError(operation: "allocate \(size >> 20) MiB for", path: path, errno: allocated)
        }
        // MAP_POPULATE maps every page now, in one go: otherwise each 4 KiB of appends takes a page fault on the MQTT
        // thread (measured: 6 % of the gateway's CPU at 8,000 msg/s).
        guard let mapped = mmap(nil, Int(size), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, descriptor, 0), mapped != MAP_FAILED else {
            let code = errno
            close(descriptor)
            unlink(path)
            throw JournalError(operation: "mmap", path: path, errno: code)
        }
        fd = descriptor
        map = mapped
        mapSize = size
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

    /// The content hashes of the last `keep` complete records of a segment.
    static func lastHashes(path: String, keep: Int) throws -> [UInt64] {
        let reader = try SegmentReader(path: path)
        var hashes: [UInt64] = []
        while case .record(let record, _) = try reader.next(limit: .max) {
            hashes.append(record.contentHash)
            if hashes.count > keep * 2 { hashes.removeFirst(hashes.count - keep) }
        }
        return Array(hashes.suffix(keep))
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
