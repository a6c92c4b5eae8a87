import Assets

/// A level a value must not cross for long: "CO₂ above 1,500 ppm for 10 min", cleared only once it has stayed under
/// 1,200 ppm for 5 min (hysteresis: a value hovering around the level raises one alert, not one per reading).
public struct ThresholdRule: Sendable, Equatable {
    public enum Direction: String, Sendable, CaseIterable {
        /// Values above `level` are abnormal.
        case above
        /// Values below `level` are abnormal.
        case below
    }

    public var direction: Direction
    public var level: Double
    /// How long the value must stay beyond `level` before the alert is raised, in milliseconds (0: at once).
    public var duration: Int64
    /// The level the value must come back past to clear; between the two levels the alert stays as it is.
    public var clearLevel: Double
    /// How long the value must stay past `clearLevel` before the alert clears, in milliseconds.
    public var clearDuration: Int64

    /// - Parameters:
    ///   - clearLevel: defaults to `level` (no dead band).
    ///   - clearDuration: defaults to `duration`.
    public init(direction: Direction, level: Double, duration: Int64 = 0, clearLevel: Double? = nil, clearDuration: Int64? = nil) {
        self.direction = direction
        self.level = level
        self.duration = duration
        self.clearLevel = clearLevel ?? level
        self.clearDuration = clearDuration ?? duration
    }

    /// The threshold of a configured rule (its durations in seconds).
    public init(_ rule: AlertRuleDefinition) {
        self.init(direction: rule.direction == .above ? .above : .below, level: rule.level, duration: Int64(rule.duration) * 1000,
                  clearLevel: rule.clearLevel, clearDuration: Int64(rule.clearDuration) * 1000)
    }

    /// True when `value` is beyond the raising level.
    public func isAbnormal(_ value: Double) -> Bool {
        direction == .above ? value > level : value < level
    }

    /// True when `value` is back past the clearing level.
    public func isCleared(_ value: Double) -> Bool {
        direction == .above ? value < clearLevel : value > clearLevel
    }
}

/// Where one (asset, rule) pair stands. Stored with the alerts, so that a restart in the middle of a duration
/// neither forgets that the value has been abnormal for 8 minutes nor starts the 10 minutes again.
public enum ThresholdState: Sendable, Equatable {
    /// Nothing abnormal.
    case normal
    /// Abnormal since `since` (time of the first abnormal reading), not yet for `duration`.
    case pending(since: Int64)
    /// Raised: abnormal since `since`; `clearingSince` is the first reading of the current run past the clear level.
    case active(since: Int64, clearingSince: Int64?)
}

/// What a reading changed.
public enum ThresholdTransition: Sendable, Equatable {
    /// The value has been abnormal from `since` to `at` (at least `duration`): an alert opens.
    case raised(since: Int64, at: Int64, value: Double)
    /// The value has been back to normal from `since` to `at` (at least `clearDuration`): the alert resolves itself.
    case cleared(since: Int64, at: Int64, value: Double)
}

extension ThresholdRule {
    /// Moves `state` on with a reading of `value` at `time` (the series' newest reading).
    ///
    /// Durations are confirmed by readings: a value abnormal at 10:00 and still at 10:15 has been abnormal for 15
    /// minutes at 10:15; nothing is raised at 10:10 on the assumption that it stayed so without a reading to say it.
    /// A device reporting every 15 minutes thus raises a 10-minute rule at its second abnormal reading.
    public func step(_ state: ThresholdState, time: Int64, value: Double) -> (ThresholdState, ThresholdTransition?) {
        switch state {
        case .normal:
            guard isAbnormal(value) else { return (.normal, nil) }
            return raiseIfLongEnough(since: time, time: time, value: value)
        case .pending(let since):
            guard isAbnormal(value) else { return (.normal, nil) }
            return raiseIfLongEnough(since: since, time: time, value: value)
        case .active(let since, let clearingSince):
            guard isCleared(value) else { return (.active(since: since, clearingSince: nil), nil) }
            let start = clearingSince ?? time
            if time - start >= clearDuration { return (.normal, .cleared(since: start, at: time, value: value)) }
            return (.active(since: since, clearingSince: start), nil)
        }
    }

    private func raiseIfLongEnough(since: Int64, time: Int64, value: Double) -> (ThresholdState, ThresholdTransition?) {
        guard time - since >= duration else { return (.pending(since: since), nil) }
        return (.active(since: since, clearingSince: nil), .raised(since: since, at: time, value: value))
    }
}
