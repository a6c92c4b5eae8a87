/// A journal file operation failed; `errno` tells why (ENOSPC: disk full, EROFS: read-only file system…).
public struct JournalError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let path: String
    public let errno: Int32

    public var description: String {
        "journal \(operation) failed on \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
