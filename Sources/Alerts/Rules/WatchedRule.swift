import Assets
import Foundation

/// A configured rule as applied to one asset: its overrides, its threshold state machine, and what the lighting
/// kinds need from the asset (nominal power, where it stands under the sun).
struct WatchedRule {
    let definition: AlertRuleDefinition
    let threshold: ThresholdRule
    let severity: AlertSeverity
    /// `nominal_power_w` of the asset for the lighting kinds; the attribute a threshold is relative to (`of:`), in
    /// the reading's unit.
    let nominalPower: Double?
    let coordinates: Coordinates?
    /// The occupancy calendar of the asset's building, for rules judged by occupancy.
    var occupancyCalendar: OccupancyCalendar? = nil
    /// `cabinet_vs_points`: the cabinet's light points and their nominal power (`nominalPower` is their sum).
    var children: [(id: String, watts: Double)] = []

    /// Night for street lighting: the sun more than 6° below the horizon (civil twilight over), when every
    /// photocell or astronomical clock has switched on. Day: more than 3° above it, when all have switched off.
    static let nightElevation = -6.0
    static let dayElevation = 3.0

    /// The rule bound to `asset`, or nil (with the reason) when a lighting rule lacks what it needs there.
    /// - Parameters:
    ///   - calendars: the occupancy calendars, and `assets` to find the one a room inherits from its building.
    static func bind(_ rule: AlertRuleDefinition, to asset: Asset, communeCoordinates: Coordinates?,
                     calendars: [String: OccupancyCalendar] = [:], assets: [String: Asset] = [:]) -> (WatchedRule?, String?) {
        var occupancy: OccupancyCalendar?
        if rule.schedule?.occupancy != nil {
            guard let id = OccupancyCalendar.id(for: asset, assets: assets) else { return (nil, "no calendar (attribute 'calendar' on it or a parent)") }
            guard let calendar = calendars[id] else { return (nil, "calendar '\(id)' is not defined in the alerts files") }
            occupancy = calendar
        }
        var nominal: Double?
        if let attribute = rule.relativeTo {
            guard case .number(let amount)? = asset.attributes[attribute], amount > 0 else { return (nil, "no \(attribute)") }
            nominal = attribute.hasSuffix("_kva") || attribute.hasSuffix("_kw") ? amount * 1_000 : amount
        }
        var children: [(id: String, watts: Double)] = []
        if rule.kind == .cabinetVsPoints {
            children = assets.values.filter { $0.parent == asset.id && $0.type == .lightPoint }.sorted { $0.id < $1.id }.compactMap { point in
                guard case .number(let watts)? = point.attributes["nominal_power_w"], watts > 0 else { return nil }
                return (point.id, watts)
            }
            guard !children.isEmpty else { return (nil, "no light points with nominal_power_w under it") }
            guard asset.coordinates ?? communeCoordinates != nil else { return (nil, "no coordinates (neither the asset's nor the commune's)") }
            nominal = children.reduce(0) { $0 + $1.watts }
        }
        if rule.kind.isLighting {
            guard case .number(let watts)? = asset.attributes["nominal_power_w"], watts > 0 else { return (nil, "no nominal_power_w") }
            nominal = watts
            if rule.kind != .litDuringSwitchOff, asset.coordinates ?? communeCoordinates == nil {
                return (nil, "no coordinates (neither the asset's nor the commune's)")
            }
        }
        return (WatchedRule(definition: rule, threshold: ThresholdRule(rule), severity: AlertSeverity(rawValue: rule.severity) ?? .warning,
                            nominalPower: nominal, coordinates: asset.coordinates ?? communeCoordinates, occupancyCalendar: occupancy,
                            children: children), nil)
    }

    /// One reading's effect on the condition: the new state, what changed, and what the rule remembers now.
    struct Step {
        var state: ThresholdState
        var transition: ThresholdTransition?
        var memory: ReadingMemory
        /// The value the threshold judged (the rate, the share of nominal power, 1 or 0 for the condition kinds).
        var judged: Double
        /// The condition ended because the reading is outside the rule's schedule, not because the value came back.
        var leftSchedule = false
    }

    /// Moves the condition on with a reading (the series' newest), or returns nil when the rule does not judge it at
    /// that time (a lamp in daylight for `lamp_out`, the first index of a counter): the condition stays as it was,
    /// but the memory moves on (`memory` of the returned step, or the reading itself for the kinds that remember).
    /// - Parameter expected: `cabinet_vs_points`: the nominal power of the points working now (default: all of them).
    ///   - conditionHolds: the rule's `while` condition, as the caller read it (true without one).
    func step(_ state: ThresholdState, time: Int64, value: Double, memory: ReadingMemory, calendar: Calendar,
              expected: Double? = nil, conditionHolds: Bool = true) -> (Step?, ReadingMemory) {
        if definition.kind == .nightFlow { return stepNightFlow(state, time: time, value: value, memory: memory, calendar: calendar) }
        let (judged, remembered) = judge(time: time, value: value, memory: memory, calendar: calendar, expected: expected)
        guard conditionHolds, isScheduled(at: time, calendar: calendar) else {
            // Outside the rule's hours or occupancy: the condition ends (an alert on a night set-back resolves
            // when the building opens again); the memory still moves on.
            switch state {
            case .active: return (Step(state: .normal, transition: .cleared(since: time, at: time, value: value), memory: remembered,
                                       judged: judged ?? value, leftSchedule: true), remembered)
            case .pending: return (Step(state: .normal, transition: nil, memory: remembered, judged: judged ?? value), remembered)
            case .normal: return (nil, remembered)
            }
        }
        guard let judged else { return (nil, remembered) }
        var start = state
        // A value stuck since the run's first reading: the duration counts from there, not from the second one.
        if definition.kind == .stuck, state == .normal, threshold.isAbnormal(judged), let anchor = memory.anchor {
            start = .pending(since: anchor.time)
        }
        let (next, transition) = threshold.step(start, time: time, value: judged)
        return (Step(state: next, transition: transition, memory: remembered, judged: judged), remembered)
    }

    /// The value the threshold judges for a reading (1 or 0 for the condition kinds) and the memory after it.
    func judge(time: Int64, value: Double, memory: ReadingMemory, calendar: Calendar, expected: Double? = nil) -> (Double?, ReadingMemory) {
        let definition = definition
        var next = memory
        switch definition.kind {
        case .rateOfChange:
            next.previous = .init(time: time, value: value)
            guard let previous = memory.previous, time > previous.time else { return (nil, next) }
            return ((value - previous.value) / (Double(time - previous.time) / 1000 / Double(definition.ratePer)), next)
        case .stuck:
            if let anchor = memory.anchor, abs(value - anchor.value) <= definition.tolerance { return (1, next) }
            next.anchor = .init(time: time, value: value)
            return (0, next)
        case .implausible:
            let outside = definition.plausibleMin.map { value < $0 } == true || definition.plausibleMax.map { value > $0 } == true
            return (outside ? 1 : 0, memory)
        case .counterRollback:
            next.previous = .init(time: time, value: value)
            guard let previous = memory.previous else { return (nil, next) }
            return (value < previous.value - definition.tolerance ? 1 : 0, next)
        case .threshold, .lampOut, .dayBurner, .litDuringSwitchOff, .nightFlow:
            return (comparable(time: time, value: value, calendar: calendar), memory)
        case .consumptionAboveUsual:
            return (nil, memory)   // judged per day by UsualConsumptionMonitor
        case .cabinetVsPoints:
            guard let coordinates, let reference = expected ?? nominalPower, reference > 0 else { return (nil, memory) }
            guard SolarPosition.elevation(latitude: coordinates.latitude, longitude: coordinates.longitude, at: time) < Self.nightElevation
            else { return (nil, memory) }
            if definition.window?.contains(time, calendar: calendar) == true { return (nil, memory) }
            return (value / reference, memory)
        }
    }

    /// The value a level rule judges for a reading, or nil when the rule does not judge it at that time.
    private func comparable(time: Int64, value: Double, calendar: Calendar) -> Double? {
        switch definition.kind {
        case .threshold:
            guard definition.relativeTo != nil else { return value }
            return nominalPower.map { value / $0 }
        case .rateOfChange, .stuck, .implausible, .counterRollback, .nightFlow, .consumptionAboveUsual, .cabinetVsPoints:
            return value
        case .lampOut, .dayBurner:
            guard let nominalPower, let coordinates else { return nil }
            let elevation = SolarPosition.elevation(latitude: coordinates.latitude, longitude: coordinates.longitude, at: time)
            let judged = definition.kind == .lampOut ? elevation < Self.nightElevation : elevation > Self.dayElevation
            return judged ? value / nominalPower : nil
        case .litDuringSwitchOff:
            guard let nominalPower, let window = definition.window else { return nil }
            return window.contains(time, calendar: calendar) ? value / nominalPower : nil
        }
    }

    /// The level crossed, in the metric's unit (watts for the lighting kinds, the unit per `per` for a rate): for
    /// `implausible` the bound passed, for `counter_rollback` the index before, for `stuck` none.
    func thresholdValue(value: Double, before memory: ReadingMemory, expected: Double? = nil) -> Double? {
        switch definition.kind {
        case .cabinetVsPoints: definition.level * (expected ?? nominalPower ?? 0)
        case .threshold where definition.relativeTo != nil: definition.level * (nominalPower ?? 0)
        case .threshold, .rateOfChange, .nightFlow: definition.level
        case .lampOut, .dayBurner, .litDuringSwitchOff: definition.level * (nominalPower ?? 0)
        case .implausible:
            if let minimum = definition.plausibleMin, value < minimum { minimum } else { definition.plausibleMax }
        case .counterRollback: memory.previous?.value
        case .stuck, .consumptionAboveUsual: nil
        }
    }
}

extension WatchedRule {
    /// A rule that needs nothing from its asset (not a lighting kind).
    init(_ definition: AlertRuleDefinition) {
        self.init(definition: definition, threshold: ThresholdRule(definition), severity: AlertSeverity(rawValue: definition.severity) ?? .warning,
                  nominalPower: nil, coordinates: nil)
    }
}
