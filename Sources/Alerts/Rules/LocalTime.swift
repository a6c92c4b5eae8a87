import Assets
import Foundation

extension Calendar {
    /// ISO weekday of the instant in this calendar's zone: 1 = Monday … 7 = Sunday.
    func isoWeekday(at time: Int64) -> Int {
        (component(.weekday, from: Date(timeIntervalSince1970: Double(time) / 1000)) + 5) % 7 + 1
    }

    /// Minutes after local midnight.
    func minuteOfDay(at time: Int64) -> Int {
        let parts = dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: Double(time) / 1000))
        return (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
    }
}

extension AlertRuleDefinition.DailyWindow {
    /// True when the instant's local time of day falls in the window.
    func contains(_ time: Int64, calendar: Calendar) -> Bool {
        contains(minuteOfDay: calendar.minuteOfDay(at: time))
    }
}

extension RuleSchedule {
    /// True when the instant falls on one of its days and within its hours (occupancy is judged apart).
    func coversDayAndHour(at time: Int64, calendar: Calendar) -> Bool {
        if !days.isEmpty, !days.contains(calendar.isoWeekday(at: time)) { return false }
        return hours.map { $0.contains(time, calendar: calendar) } ?? true
    }
}
