import Foundation

/// A connection shared between threads, serialised by a lock. Good for the CLI and for
/// the occasional read; the ingest writer owns a connection of its own.
public final class DatabaseQueue: @unchecked Sendable {
    // The lock guards every use of `connection`; `Connection` itself is not thread-safe.
    private let lock = NSLock()
    private let connection: Connection
    public let path: String

    public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        self.connection = try Connection(path: path, readOnly: readOnly)
        self.path = path
    }

    /// Runs `body` with exclusive use of the connection.
    public func read<T>(_ body: (Connection) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(connection)
    }

    /// Runs `body` in a write transaction.
    public func write<T>(_ body: (Connection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try connection.transaction { try body(connection) }
    }
}
