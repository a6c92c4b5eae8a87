import SQLiteDB

/// The SQL functions the `readings` view is made of. Every connection that reads `readings` registers them
/// (`Schema.open` and `Schema.openForReading` do); other SQLite clients read `measurements` and decode the blob
/// (format in `PackedReadings`).
public enum ReadingFunctions {
    public static func register(on connection: Connection) throws {
        // reading_value(readings_blob, series_id): the value of that series in one measurement, or NULL.
        try connection.createFunction("reading_value", argumentCount: 2) { arguments in
            guard let value = PackedReadings.value(of: arguments.int(1), in: arguments.blob(0)) else { return .null }
            return .real(value)
        }
    }
}
