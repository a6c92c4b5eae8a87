import Foundation
import Yams

extension ProfileLoader {
    /// Common unit spellings, quoted when a unit is unknown.
    static let unitExamples = "Wh, kWh, L, m³, W, kW, VA, var, V, A, °C, %RH, ppm, lx, hPa, %, Hz, s, dB, dBm, 1 (a count or state)"

    static func readMetrics(_ top: YAMLMapping, reader: YAMLReader) -> [MetricMapping] {
        guard let node = top.required("metrics", hint: "list the fields the device sends, e.g. '- {field: temperature, metric: temperature, unit: \"°C\"}'"),
              let items = reader.list(node, "metrics") else { return [] }
        if items.isEmpty { reader.issue(node, "'metrics' is empty: map at least one field") }
        var metrics: [MetricMapping] = []
        var metricLines: [String: Int?] = [:]
        for (index, item) in items.enumerated() {
            guard let metric = readMetric(item, index: index, reader: reader) else { continue }
            if let first = metricLines[metric.mapping.metric] {
                reader.log.add(reader.file, line: metric.line, "metric '\(metric.mapping.metric)' is already mapped at line \(first.map { String($0) } ?? "?"): list alternative fields in one 'field: [a, b]' instead")
                continue
            }
            metricLines[metric.mapping.metric] = metric.line
            metrics.append(metric.mapping)
        }
        return metrics
    }

    private static func readMetric(_ node: Node, index: Int, reader: YAMLReader) -> (mapping: MetricMapping, line: Int?)? {
        let context = YAMLReader.entryName("metric", key: "metric", in: node, index: index)
        guard let entry = reader.mapping(node, context, keys: metricKeys) else { return nil }
        let log = reader.log
        let file = reader.file

        var fields: [String]?
        if let fieldNode = entry.required("field", hint: "the field path in the payload, e.g. TempC_SHT or ENERGY.Total") {
            fields = reader.textList(fieldNode, "field")
            if let list = fields, Set(list).count != list.count {
                reader.issue(fieldNode, "'field' lists the same path twice: keep one")
            }
            if fields?.isEmpty == true {
                reader.issue(fieldNode, "'field' is an empty list: give at least one field path")
                fields = nil
            }
        }
        let metric = entry.text("metric", required: true, hint: "the stored metric name, e.g. temperature or energy_import")
        if let metric, metric.range(of: snakeCasePattern, options: .regularExpression) == nil {
            log.add(file, line: entry.line(of: "metric"), "metric name '\(metric)' must be lowercase snake_case, e.g. energy_import")
        }

        var unit: UnitDefinition?
        let unitText = entry.text("unit", required: true, hint: "the unit the device sends, e.g. \"°C\", kWh or \"1\" for a count or state")
        if let unitText {
            unit = Units.definition(unitText)
            if unit == nil {
                log.add(file, line: entry.line(of: "unit"), "unknown unit '\(unitText)' (known units include \(unitExamples))")
            }
        }

        var kind = MetricKind.gauge
        if let text = entry.text("kind") {
            if let value = MetricKind(rawValue: text) {
                kind = value
            } else {
                log.add(file, line: entry.line(of: "kind"), Suggestions.unknown("kind", text, expected: MetricKind.allCases.map(\.rawValue)))
            }
        }
        if kind == .counter, let unit, let unitText, !cumulativeQuantities.contains(unit.quantity) {
            log.add(file, line: entry.line(of: "kind"),
                    "kind 'counter' needs a cumulative unit (energy, volume, count, duration or mass), not '\(unitText)' (\(unit.quantity.rawValue)): use kind: gauge")
        }

        var scale = 1.0
        if let value = entry.number("scale") {
            if value == 0 {
                log.add(file, line: entry.line(of: "scale"), "'scale' cannot be 0: it multiplies every value (e.g. 10 for 10 L per pulse, 0.1 for tenths)")
            } else {
                scale = value
            }
        }
        let states = readStates(entry, reader: reader)

        guard let fields, let metric, unit != nil, let unitText else { return nil }
        return (MetricMapping(fields: fields, metric: metric, unit: unitText, kind: kind, scale: scale, states: states), entry.line)
    }

    /// `states: {"ON": 1, "OFF": 0}`: text values a device sends, and the number stored for each.
    private static func readStates(_ entry: YAMLMapping, reader: YAMLReader) -> [String: Double] {
        guard let node = entry.node("states") else { return [:] }
        guard case .mapping(let mapping) = node else {
            reader.issue(node, "'states' must be a mapping of 'text: number' lines, e.g. {\"ON\": 1, \"OFF\": 0}")
            return [:]
        }
        var states: [String: Double] = [:]
        for (keyNode, valueNode) in mapping {
            guard let key = reader.text(keyNode, "states") else { continue }
            guard case .scalar(let scalar) = valueNode, let value = Double(scalar.string), value.isFinite else {
                let shown = valueNode.scalar?.string ?? valueNode.kindDescription
                reader.issue(valueNode, "state '\(key)' must map to a number (e.g. \"\(key)\": 1), got '\(shown)'")
                continue
            }
            states[key] = value
        }
        return states
    }
}
