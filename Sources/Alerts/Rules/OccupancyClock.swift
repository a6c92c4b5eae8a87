import Assets
import Foundation

/// Reads an `OccupancyCalendar` in the commune's time zone: is the building occupied at an instant, and since when
/// has it been empty (the end of its last occupied window, across nights, weekends and holidays).
struct OccupancyClock {
    let calendar: OccupancyCalendar
    let clock: Calendar

    /// How far back an empty spell is looked for: longer than any holiday.
    static let lookBackDays = 62

    func day(of date: Date) -> OccupancyCalendar.Day {
        let parts = clock.dateComponents([.year, .month, .day], from: date)
        return (parts.year ?? 0) * 10_000 + (parts.month ?? 0) * 100 + (parts.day ?? 0)
    }


    /// The occupied windows of the local day starting at `dayStart`, as instants in milliseconds.
    func windows(ofDayStarting dayStart: Date) -> [(start: Int64, end: Int64)] {
        guard !calendar.isClosed(day(of: dayStart)) else { return [] }
        return (calendar.hours[clock.isoWeekday(at: Int64(dayStart.timeIntervalSince1970 * 1000))] ?? []).compactMap { window in
            guard let start = clock.date(bySettingHour: window.from / 60, minute: window.from % 60, second: 0, of: dayStart),
                  let end = clock.date(bySettingHour: window.to / 60, minute: window.to % 60, second: 0, of: dayStart) else { return nil }
            return (Int64(start.timeIntervalSince1970 * 1000), Int64(end.timeIntervalSince1970 * 1000))
        }
    }

    /// Nil when occupied at `time`; otherwise the instant the building was last left (at most `lookBackDays` ago).
    func emptySince(_ time: Int64) -> Int64? {
        let today = clock.startOfDay(for: Date(timeIntervalSince1970: Double(time) / 1000))
        for offset in 0...Self.lookBackDays {
            guard let dayStart = clock.date(byAdding: .day, value: -offset, to: today) else { break }
            for window in windows(ofDayStarting: dayStart).reversed() where window.start <= time {
                return time < window.end ? nil : window.end
            }
        }
        return time - Int64(Self.lookBackDays) * 86_400_000
    }
}

extension WatchedRule {
    /// True when the rule's schedule (weekdays, hours, occupancy) says a reading at `time` is judged.
    func isScheduled(at time: Int64, calendar: Calendar) -> Bool {
        guard let schedule = definition.schedule else { return true }
        guard schedule.coversDayAndHour(at: time, calendar: calendar) else { return false }
        guard let occupancy = schedule.occupancy else { return true }
        guard let occupancyCalendar else { return false }
        let emptySince = OccupancyClock(calendar: occupancyCalendar, clock: calendar).emptySince(time)
        switch occupancy {
        case .occupied:
            return emptySince == nil
        case .unoccupied(let atLeast, let lessThan):
            guard let emptySince else { return false }
            let empty = (time - emptySince) / 1000
            return empty >= Int64(atLeast) && lessThan.map { empty < Int64($0) } ?? true
        }
    }
}
