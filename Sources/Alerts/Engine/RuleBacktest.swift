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
        return try assets.compactMap { asset -> AssetResult? in
            guard let effective = tuned.rules(for: asset).first,
                  let watched = WatchedRule.bind(effective, to: asset, communeCoordinates: communeCoordinates).0 else { return nil }
            // Several devices of one asset may measure the metric: one time line.
            let readings = try queries.readings(asset: asset.id, metric: rule.metric, from: from, to: to, limit: .max)
                .sorted { $0.time < $1.time }
            // The readings the rule judges (a lamp in daylight is not judged by lamp_out), with their judged values.
            let judged = readings.compactMap { reading in
                watched.comparable(time: reading.time, value: reading.value, calendar: calendar).map { (reading.time, $0) }
            }
            return AssetResult(assetID: asset.id, readings: readings.count, episodes: Self.episodes(watched.threshold, judged))
        }
    }

    /// The episodes `threshold` raises over readings in time order.
    static func episodes(_ threshold: ThresholdRule, _ readings: [(time: Int64, value: Double)]) -> [Episode] {
        var state = ThresholdState.normal
        var episodes: [Episode] = []
        var open: Episode?
        var lastTime: Int64?
        for (time, value) in readings {
            if let lastTime, time <= lastTime { continue }
            lastTime = time
            let (next, transition) = threshold.step(state, time: time, value: value)
            state = next
            if var current = open {
                current.peak = threshold.direction == .above ? max(current.peak, value) : min(current.peak, value)
                open = current
            }
            switch transition {
            case .raised(let since, let at, let value)?:
                open = Episode(since: since, raisedAt: at, clearedAt: nil, peak: value)
            case .cleared(_, let at, _)?:
                if var current = open {
                    current.clearedAt = at
                    episodes.append(current)
                }
                open = nil
            case nil:
                break
            }
        }
        if let open { episodes.append(open) }
        return episodes
    }
}
