import Foundation

/// Durations as written in profiles and configuration: `90s`, `20m`, `1h`, `1d`, combinations such as `1h30m`,
/// or a whole number of seconds.
public enum Durations {
    private static let unitSeconds: [String: Int] = ["s": 1, "m": 60, "min": 60, "h": 3_600, "d": 86_400]

    /// The number of seconds `text` stands for, or `nil` when it is not a duration.
    public static func seconds(_ text: String) -> Int? {
        let trimmed = text.filter { !$0.isWhitespace }.lowercased()
        if let seconds = Int(trimmed) { return seconds }
        guard !trimmed.isEmpty else { return nil }
        var total = 0
        var index = trimmed.startIndex
        while index < trimmed.endIndex {
            let digitsEnd = trimmed[index...].firstIndex { !$0.isASCII || !$0.isNumber } ?? trimmed.endIndex
            guard digitsEnd > index, let amount = Int(trimmed[index..<digitsEnd]) else { return nil }
            let unitEnd = trimmed[digitsEnd...].firstIndex { $0.isNumber } ?? trimmed.endIndex
            guard let factor = unitSeconds[String(trimmed[digitsEnd..<unitEnd])] else { return nil }
            let (product, overflow) = amount.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            total += product
            index = unitEnd
        }
        return total
    }
}
