import Assets

/// Which observations of a message each metric of a profile reads, worked out once per message shape (the same
/// field names in the same order), which is what a device sends every time.
///
/// Building a plan hashes every field name and looks up every mapped field; applying one only compares the names
/// with the shape's, then coerces and converts the values. `Normaliser` keeps the plans it built.
struct NormalisationPlan: Sendable {
    /// What one metric mapping reads.
    enum Step: Sendable {
        /// Every observation of `field` (one, or a history of several), in order.
        case observations(mapping: Int, field: String, positions: [Int])
        /// Tasmota's per-phase or per-tariff array (`Total.0`, `Total.1`…): their sum is the metric.
        case summed(mapping: Int, positions: [Int])
    }

    /// The field names of the messages this plan applies to, in order.
    let shape: [String]
    let steps: [Step]
    /// The fields no mapping reads, sorted (shown by `pmc-gateway devices`).
    let unmappedFields: [String]
    /// True when a per-phase array held a non-number, so mapped nothing: such a plan is right for this message
    /// only, not for its shape.
    let dependsOnValues: Bool

    /// The plan for `message`. Only the summed arrays depend on values (a non-number there maps nothing), so a
    /// plan holding one fails to apply to a message of the same shape whose array is not all numbers.
    init(profile: DeviceProfile, message: DecodedMessage) {
        let observations = message.observations
        let fields = FieldIndex(observations)
        var consumed = [Bool](repeating: false, count: observations.count)
        var steps: [Step] = []
        var dependsOnValues = false
        for (index, mapping) in profile.metrics.enumerated() {
            if let field = mapping.fields.first(where: { fields.first($0) != nil }), let first = fields.first(field) {
                var positions: [Int] = []
                var next: Int? = first
                while let position = next {
                    positions.append(position)
                    consumed[position] = true
                    next = fields.next(after: position)
                }
                steps.append(.observations(mapping: index, field: field, positions: positions))
            } else if let positions = Self.summedArray(mapping, fields: fields, observations: observations, holdsNonNumber: &dependsOnValues) {
                for position in positions { consumed[position] = true }
                steps.append(.summed(mapping: index, positions: positions))
            }
        }
        self.shape = observations.map(\.field)
        self.steps = steps
        self.unmappedFields = fields.unconsumedNames(consumed).sorted()
        self.dependsOnValues = dependsOnValues
    }

    /// The positions of the first of `mapping.fields` sent as an array of at least two numbers; nil when none is
    /// (an element that is not a number maps nothing, as a single non-number field would be invalid).
    private static func summedArray(_ mapping: MetricMapping, fields: FieldIndex, observations: [Observation],
                                    holdsNonNumber: inout Bool) -> [Int]? {
        for field in mapping.fields {
            var positions: [Int] = []
            while let position = fields.single("\(field).\(positions.count)") {
                guard case .number = observations[position].value else {
                    holdsNonNumber = true
                    return nil
                }
                positions.append(position)
            }
            if positions.count >= 2 { return positions }
        }
        return nil
    }

    /// True when `observations` have this plan's field names, in order.
    func matches(_ observations: [Observation]) -> Bool {
        guard observations.count == shape.count else { return false }
        for index in shape.indices where observations[index].field != shape[index] { return false }
        return true
    }

    /// The readings of `message` (which `matches` this plan); nil when a summed array holds a non-number.
    func apply(to message: DecodedMessage, profile: DeviceProfile, receivedAt: Int64) -> NormalisedMessage? {
        // Mappings borrowed, not copied: each holds several strings, an array and a dictionary (a retain and a
        // release each per reading otherwise).
        profile.metrics.withUnsafeBufferPointer { metrics -> NormalisedMessage? in
            var result = NormalisedMessage()
            result.unmappedFields = unmappedFields
            result.readings.reserveCapacity(steps.count)
            for step in steps {
                switch step {
                case .observations(let index, let field, let positions):
                    let mapping = metrics[index]
                    for position in positions {
                        let observation = message.observations[position]
                        guard let coerced = ValueCoercion.coerce(observation.value, states: mapping.states, isState: mapping.kind == .state) else {
                            result.invalidFields.append("\(field)=\(Normaliser.describe(observation.value)) is not a number (metric \(mapping.metric))")
                            continue
                        }
                        let (value, unit) = Normaliser.convert(coerced.value * mapping.scale, payloadUnit: observation.unit ?? coerced.unit, mapping: mapping)
                        guard value.isFinite else {
                            result.invalidFields.append("\(field): value out of range after conversion (metric \(mapping.metric))")
                            continue
                        }
                        result.readings.append(Normaliser.reading(mapping, value: value, unit: unit, stated: observation.time ?? message.time,
                                                                  receivedAt: receivedAt))
                    }
                case .summed(let index, let positions):
                    let mapping = metrics[index]
                    var total = 0.0
                    var time: Int64?
                    for position in positions {
                        let observation = message.observations[position]
                        guard case .number(let value) = observation.value else { return nil }
                        total += value
                        time = observation.time ?? time
                    }
                    let (value, unit) = Normaliser.convert(total * mapping.scale, payloadUnit: nil, mapping: mapping)
                    result.readings.append(Normaliser.reading(mapping, value: value, unit: unit, stated: time ?? message.time, receivedAt: receivedAt))
                }
            }
            return result
        }
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
}
