import CSQLite

/// The arguments of one call of an application-defined SQL function, read without copying.
public struct FunctionArguments {
    private let values: UnsafeMutablePointer<OpaquePointer?>
    public let count: Int

    init(count: Int32, values: UnsafeMutablePointer<OpaquePointer?>) {
        self.count = Int(count)
        self.values = values
    }

    public func isNull(_ index: Int) -> Bool { sqlite3_value_type(values[index]) == SQLITE_NULL }
    public func int(_ index: Int) -> Int64 { sqlite3_value_int64(values[index]) }
    public func double(_ index: Int) -> Double { sqlite3_value_double(values[index]) }

    /// The bytes of a blob argument, valid only during the call (empty for NULL or an empty blob).
    public func blob(_ index: Int) -> UnsafeRawBufferPointer {
        let count = Int(sqlite3_value_bytes(values[index]))
        guard count > 0, let bytes = sqlite3_value_blob(values[index]) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: bytes, count: count)
    }
}

/// Holds the Swift body of a function for as long as SQLite keeps the function.
private final class FunctionBody {
    let call: (FunctionArguments) -> SQLValue
    init(_ call: @escaping (FunctionArguments) -> SQLValue) { self.call = call }
}

extension Connection {
    /// Registers a scalar SQL function on this connection (views and queries that use it then work here only:
    /// every connection that reads them must register it too).
    /// - Parameter deterministic: same arguments, same result (lets SQLite use it in indexes and factor calls).
    public func createFunction(_ name: String, argumentCount: Int32, deterministic: Bool = true,
                               _ body: @escaping (FunctionArguments) -> SQLValue) throws(SQLiteError) {
        let box = Unmanaged.passRetained(FunctionBody(body)).toOpaque()
        let flags = SQLITE_UTF8 | (deterministic ? SQLITE_DETERMINISTIC : 0)
        let rc = sqlite3_create_function_v2(handle, name, argumentCount, flags, box, { context, argc, argv in
            guard let context, let argv else { return }
            let body = Unmanaged<FunctionBody>.fromOpaque(sqlite3_user_data(context)).takeUnretainedValue()
            switch body.call(FunctionArguments(count: argc, values: argv)) {
            case .null: sqlite3_result_null(context)
            case .integer(let value): sqlite3_result_int64(context, value)
            case .real(let value): sqlite3_result_double(context, value)
            case .text(let value): sqlite3_result_text(context, value, -1, SQLITE_TRANSIENT)
            case .blob(let value):
                value.withUnsafeBytes { sqlite3_result_blob(context, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) }
            }
        }, nil, nil, { box in
            if let box { Unmanaged<FunctionBody>.fromOpaque(box).release() }
        })
        // On failure SQLite has already called the destructor above, which released the box.
        guard rc == SQLITE_OK else { throw error(code: rc, statement: "create function \(name)") }
    }
}
