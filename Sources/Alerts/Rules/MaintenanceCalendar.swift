import Assets
import Foundation

/// The maintenance windows as instants, by asset — each window covers the assets it names and their descendants
/// (a cabinet's light points, a building's rooms).
public struct MaintenanceCalendar: Sendable {
    public struct Period: Sendable, Equatable {
        public var start: Int64
        public var end: Int64
        public var reason: String?
    }

    let periods: [String: [Period]]

    public init(windows: [MaintenanceWindow], assets: [Asset], timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        func instant(_ local: MaintenanceWindow.LocalTime) -> Int64? {
            let parts = DateComponents(year: Int(local / 100_000_000), month: Int(local / 1_000_000 % 100), day: Int(local / 10_000 % 100),
                                       hour: Int(local / 100 % 100), minute: Int(local % 100))
            return calendar.date(from: parts).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
        }
        var children: [String: [String]] = [:]
        for asset in assets { if let parent = asset.parent { children[parent, default: []].append(asset.id) } }
        var periods: [String: [Period]] = [:]
        for window in windows {
            guard let start = instant(window.from), let end = instant(window.to) else { continue }
            var pending = window.assets
            var covered: Set<String> = []
            while let asset = pending.popLast() {
                guard covered.insert(asset).inserted else { continue }
                periods[asset, default: []].append(Period(start: start, end: end, reason: window.reason))
                pending += children[asset] ?? []
            }
        }
        self.periods = periods
    }

    public var isEmpty: Bool { periods.isEmpty }

    /// The maintenance covering `assetID` at `time`, if any.
    public func period(of assetID: String, at time: Int64) -> Period? {
        periods[assetID]?.first { $0.start <= time && time < $0.end }
    }

    /// True when `assetID` had a maintenance that is over at `time` (its alerts may owe a notification).
    func hadMaintenance(_ assetID: String, before time: Int64) -> Bool {
        periods[assetID]?.contains { $0.end <= time } ?? false
    }
}
