import CSQLite
import Foundation

/// One SQLite connection. Not thread-safe: confine it to one thread or protect it with a lock
/// (see `DatabaseQueue`).
public final class Connection {
    let handle: OpaquePointer
    public let path: String
    private var statementCache: [String: Statement] = [:]

    /// Opens (and creates if needed) the database at `path`, in WAL mode with `synchronous=NORMAL`.
    public init(path: String, readOnly: Bool = false, busyTimeoutMs: Int32 = 5_000) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "\(message) (path: \(path))")
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMs)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=NORMAL")
        }
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(code: Int32, statement: String?) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle) != 0 ? sqlite3_extended_errcode(handle) : code,
                    message: String(cString: sqlite3_errmsg(handle)), statement: statement)
    }

    /// Runs one or more SQL statements without parameters.
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: message, statement: sql)
        }
    }

    /// Returns a prepared statement, cached by its SQL text.
    public func cached(_ sql: String) throws(SQLiteError) -> Statement {
        if let statement = statementCache[sql] { return statement }
        let statement = try Statement(connection: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// Prepares a statement that is not cached.
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement(connection: self, sql: sql)
    }

    /// How many times SQLite recompiled the cached statements behind the cache (see `Statement.recompilationCount`).
    public var recompilationCount: Int {
        statementCache.values.reduce(0) { $0 + $1.recompilationCount }
    }

    /// Executes one parameterised statement (cached).
    @discardableResult
    public func run(_ sql: String, _ values: any SQLBindable...) throws(SQLiteError) -> Int {
        try cached(sql).execute(values)
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// The value of the first column of the first row, as an integer.
    public func scalarInt(_ sql: String, _ values: any SQLBindable...) throws -> Int64? {
        try cached(sql).first(values) { $0.isNull(0) ? nil : $0.int(0) } ?? nil
    }
}
