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
    private let rulesByAsset: [String: [String: [WatchedRule]]]
    private let calendar: Calendar
    private let assets: [String: Asset]
    private let timeZone: TimeZone
    private let logger: Logger
    /// The notification channels every change is queued for, and what to tell once a batch queued some.
    private let channels: [String]
    private let didQueueNotifications: (@Sendable () -> Void)?
    /// Where each (asset, rule) stands, as this batch left it (loaded from the database on first use).
    private var states: [ConditionKey: (state: ThresholdState, evaluatedAt: Int64?, memory: ReadingMemory)] = [:]
    /// The alerts this batch opened or resolved, announced once it commits.
    private var announcements: [Alert] = []
    /// The ids of the `lamp_out` rules: a light point with one unresolved is not counted in its cabinet's expected power.
    private let lampOutRules: [String]
    /// Assets under maintenance: their alerts' changes are not queued for the channels.
    private let maintenance: MaintenanceCalendar
    /// The notifier's delivery results, recorded in the writer's batches; those of the batch being committed.
    private let deliveries: DeliveryLog?
    private var recordingInBatch: [DeliveryAttempt] = []

    /// By asset: the metrics some of its rules' `while` conditions read, and their latest values seen.
    private var conditionMetrics: [String: Set<String>] = [:]
    private var conditionValues: [MetricKey: Double] = [:]

    struct MetricKey: Hashable {
        let assetID: String
        let metric: String
    }

    struct ConditionKey: Hashable {
        let assetID: String
        let ruleID: String
    }


    /// - Parameters:
    ///   - channels: names of the notification channels (each change is queued for each, with the change).
    ///   - didQueueNotifications: called after a batch that queued notifications committed (wakes the notifier).
    ///   - communeCoordinates: where the sun is judged for street lighting when an asset has no coordinates of its own.
    public init(rules: AlertRuleSet, assets: [Asset], timeZone: TimeZone, logger: Logger, channels: [String] = [],
                communeCoordinates: Coordinates? = nil, deliveries: DeliveryLog? = nil, didQueueNotifications: (@Sendable () -> Void)? = nil) {
        self.channels = channels
        self.deliveries = deliveries
        self.maintenance = MaintenanceCalendar(windows: rules.maintenance, assets: assets, timeZone: timeZone)
        self.lampOutRules = rules.rules.filter { $0.kind == .lampOut }.map(\.id)
        self.didQueueNotifications = didQueueNotifications
        var byAsset: [String: [String: [WatchedRule]]] = [:]
        let assetsByID = Dictionary(assets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var skipped: [String: (count: Int, reason: String, example: String)] = [:]
        for asset in assets {
            // Consumption against its usual level is judged per day, by the scheduler (UsualConsumptionMonitor).
            for rule in rules.rules(for: asset) where rule.kind != .consumptionAboveUsual {
                let (watched, reason) = WatchedRule.bind(rule, to: asset, communeCoordinates: communeCoordinates,
                                                         calendars: rules.calendars, assets: assetsByID)
                if let watched {
                    byAsset[asset.id, default: [:]][rule.metric, default: []].append(watched)
                } else if let reason {
                    skipped[rule.id] = ((skipped[rule.id]?.count ?? 0) + 1, reason, skipped[rule.id]?.example ?? asset.id)
                }
            }
        }
        for (rule, skip) in skipped.sorted(by: { $0.key < $1.key }) {
            logger.warning("a rule cannot watch some of its assets", metadata: ["rule": "\(rule)", "assets": "\(skip.count)",
                                                                                "reason": "\(skip.reason)", "example": "\(skip.example)"])
        }
        self.rulesByAsset = byAsset
        for (asset, byMetric) in byAsset {
            for rule in byMetric.values.joined() {
                if let condition = rule.definition.whileCondition { conditionMetrics[asset, default: []].insert(condition.metric) }
            }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        self.assets = Dictionary(assets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.timeZone = timeZone
        self.logger = logger
    }

    /// How many (asset, rule) pairs are watched.
    public var watchedPairs: Int { rulesByAsset.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }

    public func watches(assetID: String, metric: String) -> Bool {
        rulesByAsset[assetID]?[metric] != nil || conditionMetrics[assetID]?.contains(metric) == true
    }

    public var hasPendingWrites: Bool { !(deliveries?.isEmpty ?? true) }

    public func batchWillCommit(_ readings: [ObservedReading], db: Connection) throws {
        if let deliveries {
            recordingInBatch = deliveries.take()
            for attempt in recordingInBatch { try attempt.record(db: db, logger: logger) }
        }
        let store = AlertStore(connection: db, channels: channels, maintenance: maintenance)
        // In time order, so that a batch holding several readings of one series steps through them as they happened;
        // readings of one millisecond (a burst timed by its receipt) in arrival order.
        let ordered = readings.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        for reading in ordered {
            if conditionMetrics[reading.assetID]?.contains(reading.metric) == true {
                conditionValues[MetricKey(assetID: reading.assetID, metric: reading.metric)] = reading.value
            }
            for rule in rulesByAsset[reading.assetID]?[reading.metric] ?? [] {
                try evaluate(reading, rule, store: store)
            }
        }
    }

    private func evaluate(_ reading: ObservedReading, _ rule: WatchedRule, store: AlertStore) throws {
        let key = ConditionKey(assetID: reading.assetID, ruleID: rule.definition.id)
        let current = try states[key] ?? store.condition(assetID: key.assetID, ruleID: key.ruleID).map { ($0.state, $0.evaluatedAt, $0.memory) }
            ?? (.normal, nil, ReadingMemory())
        // Older than the newest evaluated: late, ignored. The same millisecond: a burst timed by its receipt, in order.
        if let evaluatedAt = current.evaluatedAt, reading.time < evaluatedAt { return }
        // A cabinet is compared with its working points: those without an unresolved lamp_out alert.
        var expected: (watts: Double, working: Int)?
        if rule.definition.kind == .cabinetVsPoints {
            let out = try store.unresolvedAssets(rules: lampOutRules)
            let working = rule.children.filter { !out.contains($0.id) }
            expected = (working.reduce(0) { $0 + $1.watts }, working.count)
        }
        var conditionHolds = true
        if let condition = rule.definition.whileCondition {
            let key = MetricKey(assetID: reading.assetID, metric: condition.metric)
            if conditionValues[key] == nil {
                // Not seen since the start: the stored latest value (none: the condition does not hold).
                conditionValues[key] = try GatewayQueries(connection: store.connection).latest(asset: reading.assetID)
                    .filter { $0.metric == condition.metric }.max { $0.time < $1.time }?.value ?? .nan
            }
            conditionHolds = conditionValues[key].map { !$0.isNaN && condition.holds($0) } ?? false
        }
        let (step, memory) = rule.step(current.state, time: reading.time, value: reading.value, memory: current.memory, calendar: calendar,
                                       expected: expected?.watts, conditionHolds: conditionHolds)
        let next = step?.state ?? current.state
        let remembers = rule.definition.kind.remembersReadings
        guard step != nil || remembers else { return }
        states[key] = (next, reading.time, memory)
        if next != .normal || current.state != .normal || remembers {
            try store.saveCondition(assetID: key.assetID, ruleID: key.ruleID, state: next, evaluatedAt: reading.time,
                                    memory: remembers ? memory : ReadingMemory())
        }
        // What the alert reports: the reading, or for a night's flow its lowest flow.
        let reported = rule.definition.kind == .nightFlow ? step?.judged ?? reading.value : reading.value
        switch step?.transition {
        case .raised(let since, let at, _)?:
            let cause = AlertCause(assetID: key.assetID, ruleID: key.ruleID, severity: rule.severity, metric: reading.metric,
                                   since: since, raisedAt: at, value: reported,
                                   threshold: rule.thresholdValue(value: reading.value, before: current.memory, expected: expected?.watts),
                                   message: AlertMessage.raised(rule, asset: assets[key.assetID], value: reported, unit: reading.unit,
                                                                since: since, before: current.memory, expected: expected, timeZone: timeZone))
            if let alert = try store.raise(cause) { announcements.append(alert) }
        case .cleared(let since, let at, _)? where rule.definition.kind.resolvesByItself:
            let comment = step?.leftSchedule == true
                ? AlertMessage.leftSchedule(rule, since: since, timeZone: timeZone)
                : AlertMessage.cleared(rule, value: reported, unit: reading.unit, since: since, timeZone: timeZone)
            if let alert = try store.resolveCleared(assetID: key.assetID, ruleID: key.ruleID, at: at, comment: comment) {
                announcements.append(alert)
            }
        case .cleared?, nil:
            break
        }
    }

    public func batchDidCommit() {
        if !recordingInBatch.isEmpty {
            deliveries?.markRecorded(recordingInBatch)
            recordingInBatch.removeAll()
        }
        for alert in announcements {
            logger.announce(alert, underMaintenance: maintenance.period(of: alert.assetID, at: alert.resolution?.at ?? alert.raisedAt))
        }
        if !announcements.isEmpty, !channels.isEmpty { didQueueNotifications?() }
        announcements.removeAll()
    }

    public func batchDidRollBack() {
        // The database holds the truth again: reload from it. Delivery results wait for the next batch.
        if !recordingInBatch.isEmpty {
            deliveries?.giveBack(recordingInBatch)
            recordingInBatch.removeAll()
        }
        states.removeAll()
        conditionValues.removeAll()
        announcements.removeAll()
    }
}
