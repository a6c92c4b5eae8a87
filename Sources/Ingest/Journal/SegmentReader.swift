import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads records from one segment file sequentially, through a buffer refilled with `pread`.
final class SegmentReader {
    enum Step {
        case record(JournalRecord, end: Int64)
        /// No complete record before `limit` (yet).
        case end
        case corrupt(String, at: Int64)
    }

    let path: String
    private let verifyChecksums: Bool
    private let fd: Int32
    private var storage: UnsafeMutableBufferPointer<UInt8>
    private var filled = 0             // bytes of `storage` holding file data
    private var cursor = 0             // index in `storage` of the next record
    private var bufferStart: Int64     // file offset of storage[0]
    private static let chunk = 1 << 20

    /// - Parameter verifyChecksums: false for a segment this process wrote (its records cannot be torn).
    init(path: String, offset: Int64 = 0, verifyChecksums: Bool = true) throws {
        self.path = path
        self.verifyChecksums = verifyChecksums
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalError(operation: "open", path: path, errno: errno) }
        bufferStart = offset
        storage = .allocate(capacity: Self.chunk)
    }

    deinit {
        storage.deallocate()
        close(fd)
    }

    var fileSize: Int64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// File offset of the next record.
    var position: Int64 { bufferStart + Int64(cursor) }

    /// The next record ending at or before `limit` (a file offset).
    func next(limit: Int64) throws -> Step {
        while true {
            let available = Int(min(Int64(filled - cursor), limit - position))
            if available > 0 {
                let window = UnsafeBufferPointer(rebasing: storage[cursor..<(cursor + available)])
                switch JournalFraming.decode(window, verifyChecksum: verifyChecksums) {
                case .record(let record, let size):
                    cursor += size
                    return .record(record, end: position)
                case .corrupt(let reason):
                    return .corrupt(reason, at: position)
                case .incomplete:
                    break
                }
            }
            if try !fill(limit: limit) { return .end }
        }
    }

    /// Moves unread bytes to the front and reads more; false when nothing more is readable below `limit`.
    private func fill(limit: Int64) throws -> Bool {
        if cursor > 0 {
            let remaining = filled - cursor
            if remaining > 0 {
                UnsafeMutableRawPointer(storage.baseAddress!).copyMemory(from: storage.baseAddress! + cursor, byteCount: remaining)
            }
            bufferStart += Int64(cursor)
            filled = remaining
            cursor = 0
        }
        if filled == storage.count {
            // A record larger than the buffer: grow it.
            let bigger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: storage.count * 2)
            _ = bigger.initialize(from: storage)
            storage.deallocate()
            storage = bigger
        }
        let fileOffset = bufferStart + Int64(filled)
        guard fileOffset < limit else { return false }
        let wanted = Int(min(Int64(storage.count - filled), limit - fileOffset))
        let got = pread(fd, storage.baseAddress! + filled, wanted, off_t(fileOffset))
        guard got >= 0 else { throw JournalError(operation: "read", path: path, errno: errno) }
        filled += got
        return got > 0
    }
}
