/// When a building is occupied: its weekly hours, minus the commune's closures and school holidays (`calendars:` in
/// an alerts file). Assets name theirs with the attribute `calendar`; a room without one uses its building's.
public struct OccupancyCalendar: Sendable, Equatable {
    /// A day of the calendar as `yyyymmdd` (20261219), in the commune's time zone.
    public typealias Day = Int

    /// Days the building stays closed whatever the weekday (holidays, a bank holiday, works).
    public struct Closure: Sendable, Equatable {
        public var from: Day
        /// Inclusive.
        public var to: Day
        public var reason: String?

        public init(from: Day, to: Day, reason: String? = nil) {
            self.from = from
            self.to = to
            self.reason = reason
        }

        public func contains(_ day: Day) -> Bool { day >= from && day <= to }
    }

    public var id: String
    /// Occupied windows by ISO weekday (1 = Monday … 7 = Sunday), in local time, in order, none past midnight.
    public var hours: [Int: [AlertRuleDefinition.DailyWindow]]
    public var closures: [Closure]

    public init(id: String, hours: [Int: [AlertRuleDefinition.DailyWindow]], closures: [Closure] = []) {
        self.id = id
        self.hours = hours
        self.closures = closures
    }

    public func isClosed(_ day: Day) -> Bool { closures.contains { $0.contains(day) } }

    /// The attribute naming an asset's calendar.
    public static let assetAttribute = "calendar"

    /// The calendar of `asset`: its own `calendar` attribute, or the nearest parent's.
    public static func id(for asset: Asset, assets: [String: Asset]) -> String? {
        var current: Asset? = asset
        var seen: Set<String> = []
        while let candidate = current, seen.insert(candidate.id).inserted {
            if case .text(let name)? = candidate.attributes[assetAttribute] { return name }
            current = candidate.parent.flatMap { assets[$0] }
        }
        return nil
    }
}

/// When a rule judges readings: within some weekly hours, and/or depending on the occupancy of the asset's building.
public struct RuleSchedule: Sendable, Equatable {
    public enum Occupancy: Sendable, Equatable {
        case occupied
        /// Unoccupied for at least `atLeast` seconds and, when given, less than `lessThan` (heating set-backs: 16 °C
        /// from 24 h to 48 h, 8 °C beyond).
        case unoccupied(atLeast: Int, lessThan: Int?)
    }

    /// ISO weekdays (1 = Monday … 7 = Sunday); empty: every day.
    public var days: Set<Int>
    public var hours: AlertRuleDefinition.DailyWindow?
    public var occupancy: Occupancy?

    public init(days: Set<Int> = [], hours: AlertRuleDefinition.DailyWindow? = nil, occupancy: Occupancy? = nil) {
        self.days = days
        self.hours = hours
        self.occupancy = occupancy
    }
}

/// Works on assets (a control cabinet and its light points, a building and its rooms, a water sector): while it
/// lasts, changes of their alerts are stored and logged but not notified (`maintenance:` in an alerts file).
public struct MaintenanceWindow: Sendable, Equatable {
    /// A local time of the commune as `yyyymmddHHMM` (202612010800).
    public typealias LocalTime = Int64

    /// The assets named; their descendants are covered too.
    public var assets: [String]
    public var from: LocalTime
    /// Exclusive.
    public var to: LocalTime
    public var reason: String?

    public init(assets: [String], from: LocalTime, to: LocalTime, reason: String? = nil) {
        self.assets = assets
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// A technical agent (or a team mailbox) who receives alerts: by domain or asset (and their descendants), while on
/// call (`agents:` in an alerts file). An agent with `fallback` receives what nobody on call covers.
public struct Agent: Sendable, Equatable {
    public var id: String
    public var name: String
    public var email: String?
    public var domains: [Domain]
    /// Assets (and their descendants) the agent answers for.
    public var assets: [String]
    /// When the agent is on call; nil: always.
    public var onCall: RuleSchedule?
    public var fallback: Bool

    public init(id: String, name: String, email: String? = nil, domains: [Domain] = [], assets: [String] = [], onCall: RuleSchedule? = nil,
                fallback: Bool = false) {
        self.id = id
        self.name = name
        self.email = email
        self.domains = domains
        self.assets = assets
        self.onCall = onCall
        self.fallback = fallback
    }
}
