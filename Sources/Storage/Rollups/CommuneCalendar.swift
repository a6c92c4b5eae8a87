import Foundation

/// Bucket boundaries on the commune's calendar: local hours, local days (23 or 25 hours on DST days) and real
/// months, as UTC milliseconds. Caches the last bucket of each period, since readings arrive mostly in order.
public final class CommuneCalendar {
    public let timeZone: TimeZone
    private var calendar: Calendar
    /// Recently used days and months (readings of many devices interleave a few periods).
    private var recent: [RollupPeriod: [(start: Int64, end: Int64)]] = [:]
    /// True when the zone's offsets are whole hours all year (Europe/Paris): local hours are then UTC hours,
    /// even on DST days, and need no calendar arithmetic.
    private let wholeHourOffsets: Bool
    static let hour: Int64 = 3_600_000
    private static let recentLimit = 32

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        let now = Date()
        wholeHourOffsets = stride(from: 0, to: 366, by: 15).allSatisfy { day in
            timeZone.secondsFromGMT(for: now.addingTimeInterval(Double(day) * 86_400)) % 3_600 == 0
        }
    }

    /// The bucket `[start, end)` of `period` that contains `time` (ms since the epoch).
    public func bucket(_ period: RollupPeriod, containing time: Int64) -> (start: Int64, end: Int64) {
        if period == .hour, wholeHourOffsets {
            let start = time - ((time % Self.hour) + Self.hour) % Self.hour
            return (start, start + Self.hour)
        }
        var ranges = recent[period] ?? []
        if let range = ranges.first(where: { $0.start <= time && time < $0.end }) { return range }
        let range = compute(period, time)
        if ranges.count >= Self.recentLimit { ranges.removeFirst() }
        ranges.append(range)
        recent[period] = ranges
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
            return (time - time % Self.hour, time - time % Self.hour + Self.hour)
        }
        return (Self.milliseconds(interval.start), Self.milliseconds(interval.end))
    }

    /// SQL: a recursive common table expression `hour(start)` of the local hour starts from `first` (an SQL
    /// expression: an hour's start, or NULL for none) while below `limit`. Local hours are an hour apart, DST or
    /// not, so a time-first table of hours is read by key, hour by hour.
    static func hourStarts(from first: String, below limit: String) -> String {
        "WITH RECURSIVE hour(start) AS (SELECT \(first) UNION ALL SELECT start + \(hour) FROM hour WHERE start + \(hour) < \(limit))"
    }

    private static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
