import Foundation
import Assets
import Storage

/// "This rule would have fired N times over the last 30 days": a rule replayed over the stored readings of every
/// asset it watches (overrides included), so that an agent can tune a level before enabling it. Nothing is written.
public struct RuleBacktest {
    /// One time the rule would have raised an alert.
    public struct Episode: Sendable, Equatable {
        /// When the condition began, when it had lasted long enough, and when it would have cleared (nil: still on).
        public var since: Int64
        public var raisedAt: Int64
        public var clearedAt: Int64?
        /// The farthest value beyond the level during the episode.
        public var peak: Double
    }

    /// What the rule would have done on one asset.
    public struct AssetResult: Sendable, Equatable {
        public var assetID: String
        public var readings: Int
        public var episodes: [Episode]
    }

    public let rules: AlertRuleSet
    public let queries: GatewayQueries
    let communeCoordinates: Coordinates?
    let calendar: Calendar

    public init(rules: AlertRuleSet, queries: GatewayQueries, communeCoordinates: Coordinates? = nil,
                timeZone: TimeZone = TimeZone(identifier: "Europe/Paris")!) {
        self.rules = rules
        self.queries = queries
        self.communeCoordinates = communeCoordinates
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// Replays `rule` (as given: pass a changed copy to try other levels) on the assets it watches, over `[from, to)`.
    public func run(_ rule: AlertRuleDefinition, assets: [Asset], from: Int64, to: Int64) throws -> [AssetResult] {
        let tuned = AlertRuleSet(rules: [rule], overrides: rules.overrides)
        let assetsByID = Dictionary(assets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return try assets.compactMap { asset -> AssetResult? in
            guard let effective = tuned.rules(for: asset).first,
                  let watched = WatchedRule.bind(effective, to: asset, communeCoordinates: communeCoordinates, calendars: rules.calendars,
                                                 assets: assetsByID).0 else { return nil }
            if effective.kind == .consumptionAboveUsual {
                return try usualConsumptionEpisodes(effective, asset: asset, from: from, to: to)
            }
            // Several devices of one asset may measure the metric: one time line.
            let readings = try queries.readings(asset: asset.id, metric: rule.metric, from: from, to: to, limit: .max)
                .sorted { $0.time < $1.time }
            return AssetResult(assetID: asset.id, readings: readings.count,
                               episodes: Self.episodes(watched, readings.map { ($0.time, $0.value) }, calendar: calendar))
        }
    }

    /// A day-by-day replay of `consumption_above_usual`, as `UsualConsumptionMonitor` judges: a run of days above
    /// the usual level is one episode (its peak, the highest day). `readings` counts the days judged.
    func usualConsumptionEpisodes(_ rule: AlertRuleDefinition, asset: Asset, from: Int64, to: Int64) throws -> AssetResult {
        let monitor = UsualConsumptionMonitor(rules: AlertRuleSet(rules: [rule]), assets: [asset], timeZone: calendar.timeZone)
        guard let item = monitor.watched.first else { return AssetResult(assetID: asset.id, readings: 0, episodes: []) }
        var episodes: [Episode] = []
        var open: Episode?
        var judged = 0
        var day = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(from) / 1000))
        while Int64(day.timeIntervalSince1970 * 1000) < to {
            let start = Int64(day.timeIntervalSince1970 * 1000)
            if let judgement = try monitor.judge(item, day: start, calendar: calendar, queries: queries) {
                judged += 1
                if judgement.above {
                    if var current = open {
                        current.peak = max(current.peak, judgement.consumption)
                        open = current
                    } else {
                        open = Episode(since: start, raisedAt: start, clearedAt: nil, peak: judgement.consumption)
                    }
                } else if var current = open {
                    current.clearedAt = start
                    episodes.append(current)
                    open = nil
                }
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        if let open { episodes.append(open) }
        return AssetResult(assetID: asset.id, readings: judged, episodes: episodes)
    }

    /// The episodes `rule` raises over readings in time order, as the evaluator would step through them (a lamp in
    /// daylight is not judged by lamp_out; a counter's rollback needs the index before it). The peak is the
    /// farthest judged value beyond the level (a rate, a share of nominal power); for the condition kinds (stuck,
    /// implausible, rollback), the reading that raised it.
    static func episodes(_ rule: WatchedRule, _ readings: [(time: Int64, value: Double)], calendar: Calendar) -> [Episode] {
        let threshold = rule.threshold
        let levelKind = !rule.definition.kind.isCondition
        var state = ThresholdState.normal
        var memory = ReadingMemory()
        var episodes: [Episode] = []
        var open: Episode?
        var lastTime: Int64?
        for (time, value) in readings {
            if let lastTime, time <= lastTime { continue }
            lastTime = time
            let (step, remembered) = rule.step(state, time: time, value: value, memory: memory, calendar: calendar)
            memory = remembered
            guard let step else { continue }
            state = step.state
            if var current = open, levelKind {
                current.peak = threshold.direction == .above ? max(current.peak, step.judged) : min(current.peak, step.judged)
                open = current
            }
            switch step.transition {
            case .raised(let since, let at, _)?:
                open = Episode(since: since, raisedAt: at, clearedAt: nil, peak: levelKind ? step.judged : value)
            case .cleared(_, let at, _)? where rule.definition.kind.resolvesByItself:
                if var current = open {
                    current.clearedAt = at
                    episodes.append(current)
                }
                open = nil
            case .cleared?:
                // Resolved by an agent only: the episode ends here for the back-test's count.
                if let current = open { episodes.append(current) }
                open = nil
            case nil:
                break
            }
        }
        if let open { episodes.append(open) }
        return episodes
    }
}
