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
}
