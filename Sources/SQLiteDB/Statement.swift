import CSQLite

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; Swift cannot import it.
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Reuse it for many executions: preparing is the expensive part.
/// Not thread-safe: a statement belongs to its connection's thread of use.
public final class Statement {
    let handle: OpaquePointer
    unowned let connection: Connection
    public let sql: String

    init(connection: Connection, sql: String) throws(SQLiteError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw connection.error(code: rc, statement: sql)
        }
        self.handle = stmt
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// How many times SQLite recompiled this statement behind the cache: after a schema change, and at every
    /// execution when its plan may depend on a bound value (a partial index whose `WHERE` a bound parameter may or
    /// may not match). Statements run per batch must stay at 0: a recompilation costs more than the execution.
    public var recompilationCount: Int {
        Int(sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0))
    }

    /// Binds parameters by position (1-based in SQL, given here in order).
    public func bind(_ values: [any SQLBindable]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (index, value) in values.enumerated() {
            try bind(value.sqlValue, at: Int32(index + 1))
        }
    }

    public func bind(_ value: SQLValue, at index: Int32) throws(SQLiteError) {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v): rc = sqlite3_bind_double(handle, index, v)
        case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, SQLITE_TRANSIENT)
        case .blob(let v):
            rc = v.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) }
        }
        guard rc == SQLITE_OK else { throw connection.error(code: rc, statement: sql) }
    }

    // The per-row path: binding in place, without an array of existentials per execution. Use as
    // `reset()`, `bind(_:at:)` for each parameter, then `run()`.

    /// Readies the statement for new bindings (parameters keep their values until rebound).
    public func reset() {
        sqlite3_reset(handle)
    }

    /// Binds an integer; indices start at 1. (A bind on a valid statement and index cannot fail.)
    public func bind(_ value: Int64, at index: Int32) {
        sqlite3_bind_int64(handle, index, value)
    }

    public func bind(_ value: Double, at index: Int32) {
        sqlite3_bind_double(handle, index, value)
    }

    public func bindNull(at index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    /// Runs the statement with its current bindings; returns the number of rows changed.
    @discardableResult
    public func run() throws(SQLiteError) -> Int {
        defer { sqlite3_reset(handle) }
        var rc = sqlite3_step(handle)
        while rc == SQLITE_ROW { rc = sqlite3_step(handle) }
        guard rc == SQLITE_DONE else { throw connection.error(code: rc, statement: sql) }
        return Int(sqlite3_changes(connection.handle))
    }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    public func execute(_ values: [any SQLBindable] = []) throws(SQLiteError) -> Int {
        try bind(values)
        return try run()
    }

    /// Runs a query and hands each row to `body`.
    public func forEach(_ values: [any SQLBindable] = [], _ body: (Row) throws -> Void) throws {
        try bind(values)
        defer { sqlite3_reset(handle) }
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw connection.error(code: rc, statement: sql) }
            try body(Row(statement: self))
        }
    }

    /// Runs a query and maps every row.
    public func map<T>(_ values: [any SQLBindable] = [], _ transform: (Row) throws -> T) throws -> [T] {
        var result: [T] = []
        try forEach(values) { result.append(try transform($0)) }
        return result
    }

    /// Runs a query and maps the first row, if any.
    public func first<T>(_ values: [any SQLBindable] = [], _ transform: (Row) throws -> T) throws -> T? {
        try bind(values)
        defer { sqlite3_reset(handle) }
        let rc = sqlite3_step(handle)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw connection.error(code: rc, statement: sql) }
        return try transform(Row(statement: self))
    }
}

/// One result row; valid only inside the closure that receives it.
public struct Row {
    let statement: Statement

    public var columnCount: Int { Int(sqlite3_column_count(statement.handle)) }
    public func isNull(_ index: Int) -> Bool { sqlite3_column_type(statement.handle, Int32(index)) == SQLITE_NULL }
    public func int(_ index: Int) -> Int64 { sqlite3_column_int64(statement.handle, Int32(index)) }
    public func double(_ index: Int) -> Double { sqlite3_column_double(statement.handle, Int32(index)) }
    public func string(_ index: Int) -> String {
        guard let text = sqlite3_column_text(statement.handle, Int32(index)) else { return "" }
        return String(cString: text)
    }
    public func optionalString(_ index: Int) -> String? { isNull(index) ? nil : string(index) }
    public func optionalInt(_ index: Int) -> Int64? { isNull(index) ? nil : int(index) }
    public func optionalDouble(_ index: Int) -> Double? { isNull(index) ? nil : double(index) }
    public func blob(_ index: Int) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement.handle, Int32(index)))
        guard count > 0, let pointer = sqlite3_column_blob(statement.handle, Int32(index)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
    public func value(_ index: Int) -> SQLValue {
        switch sqlite3_column_type(statement.handle, Int32(index)) {
        case SQLITE_INTEGER: return .integer(int(index))
        case SQLITE_FLOAT: return .real(double(index))
        case SQLITE_TEXT: return .text(string(index))
        case SQLITE_BLOB: return .blob(blob(index))
        default: return .null
        }
    }
}
