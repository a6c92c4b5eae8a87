import Assets
import Foundation

/// A configured rule as applied to one asset: its overrides, its threshold state machine, and what the lighting
/// kinds need from the asset (nominal power, where it stands under the sun).
struct WatchedRule {
    let definition: AlertRuleDefinition
    let threshold: ThresholdRule
    let severity: AlertSeverity
    /// `nominal_power_w` of the asset, for the lighting kinds.
    let nominalPower: Double?
    let coordinates: Coordinates?

    /// Night for street lighting: the sun more than 6° below the horizon (civil twilight over), when every
    /// photocell or astronomical clock has switched on. Day: more than 3° above it, when all have switched off.
    static let nightElevation = -6.0
    static let dayElevation = 3.0

    /// The rule bound to `asset`, or nil (with the reason) when a lighting rule lacks what it needs there.
    static func bind(_ rule: AlertRuleDefinition, to asset: Asset, communeCoordinates: Coordinates?) -> (WatchedRule?, String?) {
        var nominal: Double?
        if rule.kind.isLighting {
            guard case .number(let watts)? = asset.attributes["nominal_power_w"], watts > 0 else { return (nil, "no nominal_power_w") }
            nominal = watts
            if rule.kind != .litDuringSwitchOff, asset.coordinates ?? communeCoordinates == nil {
                return (nil, "no coordinates (neither the asset's nor the commune's)")
            }
        }
        return (WatchedRule(definition: rule, threshold: ThresholdRule(rule), severity: AlertSeverity(rawValue: rule.severity) ?? .warning,
                            nominalPower: nominal, coordinates: asset.coordinates ?? communeCoordinates), nil)
    }

    /// The value the threshold judges for a reading, or nil when the rule does not judge it at that time (a lamp
    /// in daylight for `lamp_out`): the condition then stays as it was.
    func comparable(time: Int64, value: Double, calendar: Calendar) -> Double? {
        switch definition.kind {
        case .threshold:
            return value
        case .lampOut, .dayBurner:
            guard let nominalPower, let coordinates else { return nil }
            let elevation = SolarPosition.elevation(latitude: coordinates.latitude, longitude: coordinates.longitude, at: time)
            let judged = definition.kind == .lampOut ? elevation < Self.nightElevation : elevation > Self.dayElevation
            return judged ? value / nominalPower : nil
        case .litDuringSwitchOff:
            guard let nominalPower, let window = definition.switchOff else { return nil }
            let parts = calendar.dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: Double(time) / 1000))
            return window.contains(minuteOfDay: (parts.hour ?? 0) * 60 + (parts.minute ?? 0)) ? value / nominalPower : nil
        }
    }

    /// The level crossed, in the metric's unit (watts for the lighting kinds).
    var thresholdValue: Double {
        definition.kind.isLighting ? definition.level * (nominalPower ?? 0) : definition.level
    }
}
