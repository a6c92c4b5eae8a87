import Assets
import Synchronization

/// One reading ready to store: a metric in its canonical unit at its measurement time.
public struct NormalisedReading: Sendable, Equatable {
    public var metric: String
    public var unit: String
    public var kind: MetricKind
    /// Milliseconds since the Unix epoch.
    public var time: Int64
    public var value: Double
    /// True when the payload gave no usable time and the receive time stands in for it. Two such readings
    /// of one series received in the same millisecond are two readings, not a repeat.
    public var timeFromReceipt: Bool = false
}

/// What a profile made of one decoded message.
public struct NormalisedMessage: Sendable, Equatable {
    public var readings: [NormalisedReading] = []
    /// Fields the message carried that the profile does not map (shown by `pmc-gateway devices`).
    public var unmappedFields: [String] = []
    /// Mapped fields whose value could not be read, with why.
    public var invalidFields: [String] = []
}

/// Applies a device profile to a decoded message: picks the mapped fields, reads numbers out of strings,
/// converts to canonical units, and fixes measurement times a device clock cannot have produced.
///
/// Which observations each metric reads is planned once per profile and message shape (`NormalisationPlan`)
/// and kept: this runs for every message on the writer thread. A normaliser assumes that a profile id always
/// names the same profile; profiles are reloaded with a new `MessageProcessor`, hence a new normaliser.
public struct Normaliser: Sendable {
    /// Measurement times before this (2000-01-01) come from a device clock that was never set.
    static let earliestPlausibleTime: Int64 = 946_684_800_000
    /// Measurement times further ahead of the receive time than this come from a wrong clock.
    static let maximumClockAhead: Int64 = 86_400_000

    private let plans = PlanCache()

    public init() {}

    public func normalise(_ message: DecodedMessage, profile: DeviceProfile, receivedAt: Int64) -> NormalisedMessage {
        if let plan = plans.plan(profile: profile.id, for: message.observations),
           let result = plan.apply(to: message, profile: profile, receivedAt: receivedAt) {
            return result
        }
        let plan = NormalisationPlan(profile: profile, message: message)
        plans.keep(plan, profile: profile.id)
        // Built from this message's values: a summed array in it holds only numbers, so it applies.
        return plan.apply(to: message, profile: profile, receivedAt: receivedAt) ?? NormalisedMessage()
    }

    /// The plans of each profile, most recently built first; a few per profile (a device sends two or three kinds
    /// of message), none for long messages (histories, SenML packs), whose shapes rarely repeat.
    final class PlanCache: Sendable {
        static let plansPerProfile = 4
        static let maximumShape = 64
        private let plans = Mutex<[String: [NormalisationPlan]]>([:])

        func plan(profile: String, for observations: [Observation]) -> NormalisationPlan? {
            guard observations.count <= Self.maximumShape else { return nil }
            return plans.withLock { plans in plans[profile]?.first { $0.matches(observations) } }
        }

        func keep(_ plan: NormalisationPlan, profile: String) {
            guard plan.shape.count <= Self.maximumShape, !plan.dependsOnValues else { return }
            plans.withLock { plans in
                var kept = plans[profile, default: []]
                kept.removeAll { $0.shape == plan.shape }
                kept.insert(plan, at: 0)
                if kept.count > Self.plansPerProfile { kept.removeLast() }
                plans[profile] = kept
            }
        }
    }

    /// One reading of `mapping` at the time the payload states, or at the receive time when it states none or an
    /// implausible one.
    static func reading(_ mapping: MetricMapping, value: Double, unit: String, stated: Int64?, receivedAt: Int64) -> NormalisedReading {
        let time = plausibleTime(stated, receivedAt: receivedAt)
        return NormalisedReading(metric: mapping.metric, unit: unit, kind: mapping.kind, time: time, value: value,
                                 timeFromReceipt: stated != time)
    }

    /// Converts to the canonical unit. A unit stated in the payload wins over the profile's when both
    /// measure the same quantity (a device switching from Wh to kWh); otherwise the profile is trusted.
    static func convert(_ value: Double, payloadUnit: String?, mapping: MetricMapping) -> (Double, String) {
        convert(value, payloadUnit: payloadUnit, profileUnit: mapping.unit, profileDefinition: mapping.unitDefinition)
    }

    private static func convert(_ value: Double, payloadUnit: String?, profileUnit: String, profileDefinition: UnitDefinition?) -> (Double, String) {
        if let payloadUnit, let payloadDefinition = Units.definition(payloadUnit),
           profileDefinition == nil || payloadDefinition.quantity == profileDefinition!.quantity {
            return (payloadDefinition.toCanonical(value), payloadDefinition.quantity.canonicalUnit)
        }
        if let profileDefinition {
            return (profileDefinition.toCanonical(value), profileDefinition.quantity.canonicalUnit)
        }
        return (value, profileUnit)
    }

    static func plausibleTime(_ time: Int64?, receivedAt: Int64) -> Int64 {
        guard let time, time >= earliestPlausibleTime, time <= receivedAt + maximumClockAhead else { return receivedAt }
        return time
    }

    static func describe(_ value: FieldValue) -> String {
        switch value {
        case .number(let n): "\(n)"
        case .string(let s): "\"\(s.prefix(40))\""
        case .bool(let b): "\(b)"
        }
    }
}
