/// The periods readings are aggregated over, on the commune's calendar.
public enum RollupPeriod: Int64, Sendable, CaseIterable, Codable {
    case hour = 1
    case day = 2
    case month = 3

    public var name: String {
        switch self {
        case .hour: "hour"
        case .day: "day"
        case .month: "month"
        }
    }

    public init?(name: String) {
        guard let period = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = period
    }
}
