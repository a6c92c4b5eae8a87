import CSQLite

/// An error reported by SQLite, with the result code, SQLite's message and the statement that failed.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The extended result code (`SQLITE_BUSY`, `SQLITE_FULL`, `SQLITE_CONSTRAINT_PRIMARYKEY`, …).
    public let code: Int32
    public let message: String
    /// The SQL being prepared or executed when the error happened, if any.
    public let statement: String?

    public init(code: Int32, message: String, statement: String? = nil) {
        self.code = code
        self.message = message
        self.statement = statement
    }

    /// The primary result code (the low byte of the extended code).
    public var primaryCode: Int32 { code & 0xFF }

    /// True when another connection held the lock (and the busy timeout, if any, ran out).
    public var isBusy: Bool { primaryCode == SQLITE_BUSY }

    /// True when the disk or the file system refused the write: the caller should pause and retry later.
    public var isStorageUnavailable: Bool {
        [SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_BUSY].contains(primaryCode)
    }

    public var description: String {
        var text = "SQLite error \(code) (\(String(cString: sqlite3_errstr(code)))): \(message)"
        if let statement { text += " — in statement: \(statement)" }
        return text
    }
}
