import Assets
import Foundation
import Logging
import SQLiteDB
import Storage

/// Applies the commune's threshold rules to the readings the writer stores, inside each batch's transaction
/// (`ReadingObserver`): conditions and alerts commit with the readings that caused them.
///
/// A reading older than the newest one evaluated for its (asset, rule) is ignored: a late reading does not move a
/// condition backwards. Announcements (the log, for now) go out only once the batch has committed.
public final class RuleEvaluator: ReadingObserver {
    /// A rule as applied to one asset (overrides included), with what its alerts say.
    struct BoundRule {
        let definition: AlertRuleDefinition
        let threshold: ThresholdRule
        let severity: AlertSeverity
    }

    private let rulesByAsset: [String: [String: [BoundRule]]]
    private let assets: [String: Asset]
    private let timeZone: TimeZone
    private let logger: Logger
    /// The notification channels every change is queued for, and what to tell once a batch queued some.
    private let channels: [String]
    private let didQueueNotifications: (@Sendable () -> Void)?
    /// Where each (asset, rule) stands, as this batch left it (loaded from the database on first use).
    private var states: [ConditionKey: (state: ThresholdState, evaluatedAt: Int64?)] = [:]
    /// The alerts this batch opened or resolved, announced once it commits.
    private var announcements: [Alert] = []

    struct ConditionKey: Hashable {
        let assetID: String
        let ruleID: String
    }


    /// - Parameters:
    ///   - channels: names of the notification channels (each change is queued for each, with the change).
    ///   - didQueueNotifications: called after a batch that queued notifications committed (wakes the notifier).
    public init(rules: AlertRuleSet, assets: [Asset], timeZone: TimeZone, logger: Logger, channels: [String] = [],
                didQueueNotifications: (@Sendable () -> Void)? = nil) {
        self.channels = channels
        self.didQueueNotifications = didQueueNotifications
        var byAsset: [String: [String: [BoundRule]]] = [:]
        for asset in assets {
            for rule in rules.rules(for: asset) {
                let threshold = ThresholdRule(rule)
                byAsset[asset.id, default: [:]][rule.metric, default: []]
                    .append(BoundRule(definition: rule, threshold: threshold, severity: AlertSeverity(rawValue: rule.severity) ?? .warning))
            }
        }
        self.rulesByAsset = byAsset
        self.assets = Dictionary(assets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.timeZone = timeZone
        self.logger = logger
    }

    /// How many (asset, rule) pairs are watched.
    public var watchedPairs: Int { rulesByAsset.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }

    public func watches(assetID: String, metric: String) -> Bool {
        rulesByAsset[assetID]?[metric] != nil
    }

    public func batchWillCommit(_ readings: [ObservedReading], db: Connection) throws {
        let store = AlertStore(connection: db, channels: channels)
        // In time order, so that a batch holding several readings of one series steps through them as they happened.
        for reading in readings.sorted(by: { $0.time < $1.time }) {
            for rule in rulesByAsset[reading.assetID]?[reading.metric] ?? [] {
                try evaluate(reading, rule, store: store)
            }
        }
    }

    private func evaluate(_ reading: ObservedReading, _ rule: BoundRule, store: AlertStore) throws {
        let key = ConditionKey(assetID: reading.assetID, ruleID: rule.definition.id)
        let current = try states[key] ?? store.condition(assetID: key.assetID, ruleID: key.ruleID).map { ($0.state, $0.evaluatedAt) }
            ?? (.normal, nil)
        if let evaluatedAt = current.evaluatedAt, reading.time <= evaluatedAt { return }
        let (next, transition) = rule.threshold.step(current.state, time: reading.time, value: reading.value)
        states[key] = (next, reading.time)
        if next != .normal || current.state != .normal {
            try store.saveCondition(assetID: key.assetID, ruleID: key.ruleID, state: next, evaluatedAt: reading.time)
        }
        switch transition {
        case .raised(let since, let at, let value)?:
            let cause = AlertCause(assetID: key.assetID, ruleID: key.ruleID, severity: rule.severity, metric: reading.metric,
                                   since: since, raisedAt: at, value: value, threshold: rule.threshold.level,
                                   message: AlertMessage.raised(rule.definition, asset: assets[key.assetID], value: value,
                                                                unit: reading.unit, since: since, timeZone: timeZone))
            if let alert = try store.raise(cause) { announcements.append(alert) }
        case .cleared(let since, let at, let value)?:
            let comment = AlertMessage.cleared(rule.definition, value: value, unit: reading.unit, since: since, timeZone: timeZone)
            if let alert = try store.resolveCleared(assetID: key.assetID, ruleID: key.ruleID, at: at, comment: comment) {
                announcements.append(alert)
            }
        case nil:
            break
        }
    }

    public func batchDidCommit() {
        for alert in announcements { logger.announce(alert) }
        if !announcements.isEmpty, !channels.isEmpty { didQueueNotifications?() }
        announcements.removeAll()
    }

    public func batchDidRollBack() {
        // The database holds the truth again: reload from it.
        states.removeAll()
        announcements.removeAll()
    }
}
