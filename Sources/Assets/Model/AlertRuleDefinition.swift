/// An alert rule as the commune configures it (`alerts:` files): which assets it watches, the level, how long,
/// how it clears, and how the agents are told.
public struct AlertRuleDefinition: Sendable, Equatable {
    public enum Direction: String, Sendable, CaseIterable {
        case above, below
    }

    /// What the rule compares.
    public enum Kind: String, Sendable, CaseIterable {
        /// The metric's value against `level`.
        case threshold
        /// Street lighting, against the asset's nominal power (`nominal_power_w`) and the sun: a point drawing less
        /// than `level` × nominal at night (sun more than 6° below the horizon, civil twilight over) is out.
        case lampOut = "lamp_out"
        /// A point drawing more than `level` × nominal in daylight (sun more than 3° above the horizon) burns for nothing.
        case dayBurner = "day_burner"
        /// A point drawing more than `level` × nominal during the commune's switch-off hours (`window`).
        case litDuringSwitchOff = "lit_during_switch_off"
        /// The change since the previous reading, per `ratePer` seconds, against `level` (a radiator's water cooling
        /// 10 °C in an hour: the boiler stopped).
        case rateOfChange = "rate_of_change"
        /// The same value (within `tolerance`) for `duration`: a frozen sensor or a stuck index.
        case stuck
        /// A value no sensor of this metric can measure (outside `plausibleMin`…`plausibleMax`): a faulty sensor.
        case implausible
        /// A counter's index going back (more than `tolerance`): a reset or a replaced meter. Raised at once, and
        /// resolved by an agent only (the next readings are normal again, but someone must check the meter).
        case counterRollback = "counter_rollback"
        /// A water counter's lowest flow (its increase per hour) during the night `window` (02:00–04:00), above
        /// `level` for `nights` nights running: nobody draws water then, a leak is suspected.
        case nightFlow = "night_flow"
        /// A counter's consumption over a local day above the `percentile` of the same weekday over the previous
        /// `weeks` weeks: the asset's own usual level (judged once per day, after the day and a margin).
        case consumptionAboveUsual = "consumption_above_usual"
        /// A control cabinet's measured power against the nominal power of its working light points (those
        /// without an unresolved `lamp_out` alert), as a ratio, at night and outside the switch-off hours (`window`):
        /// above, a current leak or points missing from the inventory; below, points out that no node reports.
        case cabinetVsPoints = "cabinet_vs_points"

        /// True for the kinds judged against nominal power: their `level` is a share of it.
        public var isLighting: Bool { self == .lampOut || self == .dayBurner || self == .litDuringSwitchOff }
        /// True for the kinds judged against the series' previous readings (kept with the rule's condition).
        public var remembersReadings: Bool { self == .rateOfChange || self == .stuck || self == .counterRollback || self == .nightFlow }
        /// True for the kinds judged 1 or 0 (a condition holds or not): they have no level of their own.
        public var isCondition: Bool { self == .stuck || self == .implausible || self == .counterRollback }
        /// False when only an agent resolves the alert: the condition returning to normal does not.
        public var resolvesByItself: Bool { self != .counterRollback }
    }

    /// A daily window in the commune's local time, in minutes after midnight (it may wrap past midnight).
    public struct DailyWindow: Sendable, Equatable {
        public var from: Int
        public var to: Int

        public init(from: Int, to: Int) {
            self.from = from
            self.to = to
        }

        public func contains(minuteOfDay minute: Int) -> Bool {
            from <= to ? (minute >= from && minute < to) : (minute >= from || minute < to)
        }
    }

    /// Referenced by overrides and stored with each alert.
    public var id: String
    /// The alert's title for the agents, in French ("CO₂ élevé : aérer la salle").
    public var name: String
    /// The canonical metric it reads (`co2`, `temperature`, `power`…).
    public var metric: String
    public var kind: Kind
    /// `lit_during_switch_off`: the commune's switch-off hours (extinction nocturne); `night_flow`: the night window.
    public var window: DailyWindow?
    /// When readings are judged (weekdays, hours, the building's occupancy); nil: always.
    public var schedule: RuleSchedule?
    /// Readings are judged only while another metric of the same asset (its latest value) is beyond a level:
    /// `while: {metric: power, above: 200}` — the room's air conditioner running.
    public var whileCondition: MetricCondition?
    /// `night_flow`: how many nights in a row the lowest flow must stay above the level.
    public var nights: Int
    /// `consumption_above_usual`: the percentile of the same weekdays (95) and how many weeks back (8).
    public var percentile: Double = 95
    public var weeks: Int = 8
    /// `threshold`: the asset attribute the value is divided by (`subscribed_power_kva`): `level` is then a share of
    /// it. An attribute named `…_kva` or `…_kw` is in thousands of the reading's VA or W.
    public var relativeTo: String?
    /// `rate_of_change`: the period the change is expressed per, in seconds (3,600: per hour).
    public var ratePer: Int
    /// `stuck`: the largest difference still counted as the same value; `counter_rollback`: the largest decrease
    /// ignored (a meter's rounding).
    public var tolerance: Double
    /// `implausible`: the range a sensor of this metric can measure.
    public var plausibleMin: Double?
    public var plausibleMax: Double?
    /// Asset types and domains it applies to; an asset matches when it has one of the types or is in one of the
    /// domains (an empty list matches nothing on that side; both empty is refused by the loader).
    public var assetTypes: [AssetType]
    public var domains: [Domain]
    public var direction: Direction
    public var level: Double
    /// Seconds the value must stay beyond `level` (0: at once).
    public var duration: Int
    /// Defaults to `level` and `duration`.
    public var clearLevel: Double
    public var clearDuration: Int
    /// `info`, `warning` or `critical`.
    public var severity: String
    /// Seconds after which an alert still open (nobody acknowledged it) is escalated; nil: never.
    public var escalateAfter: Int?
    /// The reference the numbers come from (shown with the alert).
    public var source: String?
    /// Where it was defined, for messages: `alerts.yaml:12`.
    public var origin: String

    public init(id: String, name: String, metric: String, kind: Kind = .threshold, window: DailyWindow? = nil,
                schedule: RuleSchedule? = nil, nights: Int = 2, relativeTo: String? = nil, ratePer: Int = 3_600, tolerance: Double = 0, plausibleMin: Double? = nil, plausibleMax: Double? = nil,
                assetTypes: [AssetType] = [], domains: [Domain] = [],
                direction: Direction, level: Double, duration: Int = 0, clearLevel: Double? = nil, clearDuration: Int? = nil,
                severity: String = "warning", escalateAfter: Int? = nil, source: String? = nil, origin: String = "") {
        self.escalateAfter = escalateAfter
        self.id = id
        self.name = name
        self.metric = metric
        self.kind = kind
        self.window = window
        self.schedule = schedule
        self.nights = nights
        self.relativeTo = relativeTo
        self.ratePer = ratePer
        self.tolerance = tolerance
        self.plausibleMin = plausibleMin
        self.plausibleMax = plausibleMax
        self.assetTypes = assetTypes
        self.domains = domains
        self.direction = direction
        self.level = level
        self.duration = duration
        self.clearLevel = clearLevel ?? level
        self.clearDuration = clearDuration ?? duration
        self.severity = severity
        self.source = source
        self.origin = origin
    }

    /// True when the rule watches assets of this type and domain.
    public func applies(toType type: AssetType, domain: Domain) -> Bool {
        assetTypes.contains(type) || domains.contains(domain)
    }
}

/// Another metric of the asset, above or below a level (`while:` of a rule).
public struct MetricCondition: Sendable, Equatable {
    public var metric: String
    public var direction: AlertRuleDefinition.Direction
    public var level: Double

    public init(metric: String, direction: AlertRuleDefinition.Direction, level: Double) {
        self.metric = metric
        self.direction = direction
        self.level = level
    }

    public func holds(_ value: Double) -> Bool { direction == .above ? value > level : value < level }
}

/// One asset's change to a rule: other levels or durations, or the rule switched off for it.
public struct AlertRuleOverride: Sendable, Equatable {
    public var assetID: String
    public var ruleID: String
    public var enabled: Bool
    public var level: Double?
    public var duration: Int?
    public var clearLevel: Double?
    public var clearDuration: Int?

    public init(assetID: String, ruleID: String, enabled: Bool = true, level: Double? = nil, duration: Int? = nil,
                clearLevel: Double? = nil, clearDuration: Int? = nil) {
        self.assetID = assetID
        self.ruleID = ruleID
        self.enabled = enabled
        self.level = level
        self.duration = duration
        self.clearLevel = clearLevel
        self.clearDuration = clearDuration
    }
}

/// Devices that stopped reporting: judged against their own profile's interval, not one global timeout.
public struct SilenceRule: Sendable, Equatable {
    /// A device is silent once it has missed this many consecutive reports.
    public var missedReports: Int
    public var severity: String
    /// When every device under a parent asset (a control cabinet's light points, a building's rooms) is silent,
    /// one alert on the parent instead of one per child: the parent, its supply or its gateway is the likely cause.
    public var foldIntoParent: Bool
    /// Seconds after which a silence alert still unacknowledged is escalated; nil: never.
    public var escalateAfter: Int?

    public init(missedReports: Int = 3, severity: String = "warning", foldIntoParent: Bool = true, escalateAfter: Int? = nil) {
        self.escalateAfter = escalateAfter
        self.missedReports = missedReports
        self.severity = severity
        self.foldIntoParent = foldIntoParent
    }
}

/// The rules of all `alerts:` files, and their per-asset overrides.
public struct AlertRuleSet: Sendable, Equatable {
    public var rules: [AlertRuleDefinition]
    public var overrides: [AlertRuleOverride]
    /// Silent devices raise alerts when set (`silence:` in an alerts file).
    public var silence: SilenceRule?
    /// Occupancy calendars by id (`calendars:`), named by assets' `calendar` attribute.
    public var calendars: [String: OccupancyCalendar]
    /// Works during which the assets' alerts are not notified (`maintenance:`).
    public var maintenance: [MaintenanceWindow]
    /// Who receives alerts by e-mail, when, for what (`agents:`).
    public var agents: [Agent] = []

    public init(rules: [AlertRuleDefinition] = [], overrides: [AlertRuleOverride] = [], silence: SilenceRule? = nil,
                calendars: [String: OccupancyCalendar] = [:], maintenance: [MaintenanceWindow] = []) {
        self.maintenance = maintenance
        self.rules = rules
        self.overrides = overrides
        self.silence = silence
        self.calendars = calendars
    }

    /// The rules watching `asset` (by its type or domain), with its overrides applied; rules switched off for it
    /// are left out. An override adjusts or disables a rule for an asset it applies to; it never extends a rule to
    /// other assets (give the rule the type or domain instead).
    public func rules(for asset: Asset) -> [AlertRuleDefinition] {
        rules.compactMap { rule in
            guard rule.applies(toType: asset.type, domain: asset.domain) else { return nil }
            guard let override = overrides.first(where: { $0.assetID == asset.id && $0.ruleID == rule.id }) else { return rule }
            guard override.enabled else { return nil }
            var changed = rule
            if let level = override.level {
                // A new raising level moves an unset clearing level with it.
                if changed.clearLevel == changed.level { changed.clearLevel = override.clearLevel ?? level }
                changed.level = level
            }
            if let duration = override.duration {
                if changed.clearDuration == changed.duration { changed.clearDuration = override.clearDuration ?? duration }
                changed.duration = duration
            }
            if let clearLevel = override.clearLevel { changed.clearLevel = clearLevel }
            if let clearDuration = override.clearDuration { changed.clearDuration = clearDuration }
            return changed
        }
    }
}
