import Foundation

/// Bucket boundaries on the commune's calendar: local hours, local days (23 or 25 hours on DST days) and real
/// months, as UTC milliseconds. Caches the last bucket of each period, since readings arrive mostly in order.
public final class CommuneCalendar {
    public let timeZone: TimeZone
    private var calendar: Calendar
    private var cached: [RollupPeriod: (start: Int64, end: Int64)] = [:]

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// The bucket `[start, end)` of `period` that contains `time` (ms since the epoch).
    public func bucket(_ period: RollupPeriod, containing time: Int64) -> (start: Int64, end: Int64) {
        if let range = cached[period], range.start <= time, time < range.end { return range }
        let range = compute(period, time)
        cached[period] = range
        return range
    }

    private func compute(_ period: RollupPeriod, _ time: Int64) -> (start: Int64, end: Int64) {
        let date = Date(timeIntervalSince1970: Double(time) / 1000)
        let component: Calendar.Component = switch period {
        case .hour: .hour
        case .day: .day
        case .month: .month
        }
        guard let interval = calendar.dateInterval(of: component, for: date) else {
            // Unreachable for the Gregorian calendar; fall back to UTC hours rather than fail ingest.
            let hour: Int64 = 3_600_000
            return (time - time % hour, time - time % hour + hour)
        }
        return (Self.milliseconds(interval.start), Self.milliseconds(interval.end))
    }

    private static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
