import Foundation

/// French wording shared by alert messages and the errors that quote alert times.
enum AlertText {
    /// `29/11/2026 14:05` in the commune's zone (Europe/Paris unless told otherwise).
    static func dateTime(_ milliseconds: Int64, timeZone: TimeZone = TimeZone(identifier: "Europe/Paris")!) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute],
                                            from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        func two(_ value: Int?) -> String { let text = String(value ?? 0); return text.count < 2 ? "0" + text : text }
        return "\(two(parts.day))/\(two(parts.month))/\(parts.year ?? 0) \(two(parts.hour)):\(two(parts.minute))"
    }

    /// `10 min`, `1 h`, `1 h 30 min`, `45 s`.
    static func interval(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds) s" }
        let (hours, minutes) = (seconds / 3_600, seconds % 3_600 / 60)
        switch (hours, minutes) {
        case (0, _): return "\(minutes) min"
        case (_, 0): return "\(hours) h"
        default: return "\(hours) h \(minutes) min"
        }
    }
}
