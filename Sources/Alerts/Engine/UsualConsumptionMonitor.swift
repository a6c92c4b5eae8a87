import Assets
import Foundation
import SQLiteDB
import Storage

/// `consumption_above_usual`: once a local day is over (and `margin` more, for late readings), each watched meter's
/// consumption that day against the `percentile` of the same weekday over the previous `weeks` weeks — its own usual
/// level, so a school is compared with its other Tuesdays, not with the town hall. Raises when above, resolves
/// itself on the first day back under. Run by `AlertScheduler`; the last day judged is kept with the condition.
public struct UsualConsumptionMonitor: Sendable {
    struct Watched: Sendable {
        let asset: Asset
        let rule: AlertRuleDefinition
        let severity: AlertSeverity
    }

    let watched: [Watched]
    let timeZone: TimeZone
    let maintenance: MaintenanceCalendar?
    /// How long after midnight a day is judged (late readings of meters that report hourly or less often).
    let margin: Int64
    /// Days needed among the `weeks` same weekdays for a usual level to exist.
    static let minimumHistory = 4

    public init(rules: AlertRuleSet, assets: [Asset], timeZone: TimeZone, maintenance: MaintenanceCalendar? = nil, margin: Int64 = 2 * 3_600_000) {
        watched = assets.flatMap { asset in
            rules.rules(for: asset).filter { $0.kind == .consumptionAboveUsual }
                .map { Watched(asset: asset, rule: $0, severity: AlertSeverity(rawValue: $0.severity) ?? .warning) }
        }
        self.timeZone = timeZone
        self.maintenance = maintenance
        self.margin = margin
    }

    public var isEmpty: Bool { watched.isEmpty }

    /// The value below which `share` of `values` lie (linear interpolation between closest ranks).
    static func percentile(_ values: [Double], _ percent: Double) -> Double {
        let sorted = values.sorted()
        guard sorted.count > 1 else { return sorted.first ?? 0 }
        let rank = percent / 100 * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    /// Judges every watched meter's days that are over at `now` and not judged yet; returns the alerts opened or resolved.
    public func evaluate(db: Connection, channels: [String], now: Int64) throws -> [Alert] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let store = AlertStore(connection: db, channels: channels, maintenance: maintenance)
        let queries = GatewayQueries(connection: db)
        var changes: [Alert] = []
        for item in watched {
            // The last day over (with the margin passed): judge it, and days missed since the last judged (a restart).
            let lastOver = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(now - margin) / 1000))
            guard let dayToJudge = calendar.date(byAdding: .day, value: -1, to: lastOver).map({ Int64($0.timeIntervalSince1970 * 1000) }) else { continue }
            let condition = try store.condition(assetID: item.asset.id, ruleID: item.rule.id)
            if let judged = condition?.evaluatedAt, judged >= dayToJudge { continue }
            var state = condition?.state ?? .normal
            // At most the last week's days, oldest first.
            var days: [Int64] = []
            var day = dayToJudge
            while days.count < 7, condition.map({ day > $0.evaluatedAt }) ?? days.isEmpty {
                days.insert(day, at: 0)
                guard let previous = calendar.date(byAdding: .day, value: -1, to: Date(timeIntervalSince1970: Double(day) / 1000)) else { break }
                day = Int64(previous.timeIntervalSince1970 * 1000)
            }
            for day in days {
                guard let judgement = try judge(item, day: day, calendar: calendar, queries: queries) else { continue }
                switch (state, judgement.above) {
                case (.normal, true), (.pending, true):
                    let cause = AlertCause(assetID: item.asset.id, ruleID: item.rule.id, severity: item.severity, metric: item.rule.metric,
                                           since: day, raisedAt: now, value: judgement.consumption, threshold: judgement.usual,
                                           message: AlertMessage.aboveUsual(item.rule, asset: item.asset, consumption: judgement.consumption,
                                                                            usual: judgement.usual, unit: judgement.unit, day: day,
                                                                            history: judgement.history, timeZone: timeZone))
                    if let alert = try store.raise(cause) { changes.append(alert) }
                    state = .active(since: day, clearingSince: nil)
                case (.active, false):
                    let comment = "Consommation revenue à \(AlertMessage.quantity(judgement.consumption, judgement.unit)) le "
                        + "\(AlertMessage.dayName(day, timeZone: timeZone)), sous son niveau habituel (\(AlertMessage.quantity(judgement.usual, judgement.unit)))."
                    if let alert = try store.resolveCleared(assetID: item.asset.id, ruleID: item.rule.id, at: now, comment: comment) {
                        changes.append(alert)
                    }
                    state = .normal
                default:
                    break
                }
            }
            try store.saveCondition(assetID: item.asset.id, ruleID: item.rule.id, state: state, evaluatedAt: dayToJudge, keepEvaluatedAt: true)
        }
        return changes
    }

    struct Judgement {
        let consumption: Double
        let usual: Double
        let unit: String
        let history: Int
        var above: Bool { consumption > usual }
    }

    /// The day's consumption against the percentile of the same weekdays before it; nil without the day's data or
    /// enough history.
    func judge(_ item: Watched, day: Int64, calendar: Calendar, queries: GatewayQueries) throws -> Judgement? {
        let date = Date(timeIntervalSince1970: Double(day) / 1000)
        guard let end = calendar.date(byAdding: .day, value: 1, to: date),
              let first = calendar.date(byAdding: .day, value: -7 * item.rule.weeks, to: date) else { return nil }
        let hours = try queries.rollups(asset: item.asset.id, metric: item.rule.metric, period: .hour,
                                        from: Int64(first.timeIntervalSince1970 * 1000), to: Int64(end.timeIntervalSince1970 * 1000))
        guard let unit = hours.first?.unit else { return nil }
        // Local days by their start, from the hours.
        var byDay: [Int64: Double] = [:]
        for hour in hours {
            guard let consumption = hour.consumption else { continue }
            let start = Int64(calendar.startOfDay(for: Date(timeIntervalSince1970: Double(hour.bucketStart) / 1000)).timeIntervalSince1970 * 1000)
            byDay[start, default: 0] += consumption
        }
        guard let consumption = byDay[day] else { return nil }
        let history = (1...item.rule.weeks).compactMap { week -> Double? in
            calendar.date(byAdding: .day, value: -7 * week, to: date).flatMap { byDay[Int64($0.timeIntervalSince1970 * 1000)] }
        }
        guard history.count >= Self.minimumHistory else { return nil }
        return Judgement(consumption: consumption, usual: Self.percentile(history, item.rule.percentile), unit: unit, history: history.count)
    }
}
