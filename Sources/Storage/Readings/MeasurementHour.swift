/// The UTC hour a measurement is filed under: `measurements` is keyed (hour, device, time) so that the rows of one
/// batch share a few pages, and `device_hours` lists each device's hours so its readings are found by key.
public enum MeasurementHour {
    public static let milliseconds: Int64 = 3_600_000

    /// The hour number of a time in ms since the epoch: SQLite's integer division (`ts / 3600000`), which truncates
    /// toward zero like Swift's, so both sides always agree.
    public static func of(_ time: Int64) -> Int64 { time / milliseconds }

    /// The same in SQL, for a time expression (a parameter such as `?2`, or a column).
    static func sql(of time: String) -> String { "\(time) / \(milliseconds)" }
}
