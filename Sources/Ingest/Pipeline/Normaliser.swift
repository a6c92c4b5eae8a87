import Assets

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
public struct Normaliser: Sendable {
    /// Measurement times before this (2000-01-01) come from a device clock that was never set.
    static let earliestPlausibleTime: Int64 = 946_684_800_000
    /// Measurement times further ahead of the receive time than this come from a wrong clock.
    static let maximumClockAhead: Int64 = 86_400_000

    public init() {}

    public func normalise(_ message: DecodedMessage, profile: DeviceProfile, receivedAt: Int64) -> NormalisedMessage {
        var result = NormalisedMessage()
        let fields = FieldIndex(message.observations)
        var consumed = [Bool](repeating: false, count: message.observations.count)
        for mapping in profile.metrics {
            guard let field = mapping.fields.first(where: { fields.first($0) != nil }), let first = fields.first(field) else {
                // Tasmota sends per-phase or per-tariff values as an array (`"Total":[1.2,3.4,5.6]`): the field
                // then arrives as `Total.0`, `Total.1`…, and the metric is their sum.
                if let sum = Self.summedArray(mapping, fields: fields, message: message, receivedAt: receivedAt, consumed: &consumed) {
                    result.readings.append(sum)
                }
                continue
            }
            var next: Int? = first
            while let index = next {
                next = fields.next(after: index)
                consumed[index] = true
                let observation = message.observations[index]
                guard let coerced = ValueCoercion.coerce(observation.value, states: mapping.states, isState: mapping.kind == .state) else {
                    result.invalidFields.append("\(field)=\(Self.describe(observation.value)) is not a number (metric \(mapping.metric))")
                    continue
                }
                let (value, unit) = Self.convert(coerced.value * mapping.scale, payloadUnit: observation.unit ?? coerced.unit, mapping: mapping)
                guard value.isFinite else {
                    result.invalidFields.append("\(field): value out of range after conversion (metric \(mapping.metric))")
                    continue
                }
                let stated = observation.time ?? message.time
                let time = Self.plausibleTime(stated, receivedAt: receivedAt)
                result.readings.append(NormalisedReading(metric: mapping.metric, unit: unit, kind: mapping.kind,
                                                         time: time, value: value, timeFromReceipt: stated != time))
            }
        }
        result.unmappedFields = fields.unconsumedNames(consumed).sorted()
        return result
    }

    /// The observations of each field name, without an array per field: the first index by name, then a chain of
    /// next indices (a SenML pack or a history array repeats a name with several times).
    struct FieldIndex {
        private var ends: [String: (first: Int, last: Int)] = [:]
        private var nextIndex: [Int]

        init(_ observations: [Observation]) {
            nextIndex = [Int](repeating: -1, count: observations.count)
            ends.reserveCapacity(observations.count)
            for (index, observation) in observations.enumerated() {
                if let known = ends.index(forKey: observation.field) {
                    nextIndex[ends.values[known].last] = index
                    ends.values[known].last = index
                } else {
                    ends[observation.field] = (index, index)
                }
            }
        }

        func first(_ field: String) -> Int? { ends[field]?.first }

        /// Each field name whose first observation is not consumed, once (no hashing: walks the index itself).
        func unconsumedNames(_ consumed: [Bool]) -> [String] {
            var names: [String] = []
            for (name, positions) in ends where !consumed[positions.first] { names.append(name) }
            return names
        }

        func next(after index: Int) -> Int? {
            let next = nextIndex[index]
            return next < 0 ? nil : next
        }

        /// The field's only observation, nil when it is absent or repeated.
        func single(_ field: String) -> Int? {
            guard let index = ends[field]?.first, nextIndex[index] < 0 else { return nil }
            return index
        }
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

    static func summedArray(_ mapping: MetricMapping, fields: FieldIndex, message: DecodedMessage, receivedAt: Int64,
                            consumed: inout [Bool]) -> NormalisedReading? {
        for field in mapping.fields {
            var index = 0
            var total = 0.0
            var positions: [Int] = []
            var time: Int64?
            while let position = fields.single("\(field).\(index)") {
                let observation = message.observations[position]
                guard case .number(let value) = observation.value else { return nil }
                total += value
                time = observation.time ?? time
                positions.append(position)
                index += 1
            }
            guard index >= 2 else { continue }
            let (value, unit) = convert(total * mapping.scale, payloadUnit: nil, mapping: mapping)
            let stated = time ?? message.time
            let plausible = plausibleTime(stated, receivedAt: receivedAt)
            for position in positions { consumed[position] = true }
            return NormalisedReading(metric: mapping.metric, unit: unit, kind: mapping.kind, time: plausible, value: value,
                                     timeFromReceipt: stated != plausible)
        }
        return nil
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
