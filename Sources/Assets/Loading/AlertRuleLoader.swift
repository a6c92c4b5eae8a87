import Yams

/// Reads the `alerts:` files: threshold rules and their per-asset overrides, checked against the inventory and
/// the metrics the device profiles produce.
///
/// ```yaml
/// rules:
///   - id: co2-classe
///     name: "CO₂ élevé dans une salle de classe"
///     metric: co2
///     asset_types: [room]          # and/or domains: [petite_enfance]
///     above: 1500                  # or below:
///     for: 10m
///     clear_below: 1200            # clear_above: for a `below` rule; defaults to the level
///     clear_for: 5m                # defaults to `for`
///     severity: warning            # info, warning, critical
///     escalate_after: 30m          # still open (unacknowledged) after 30 min: escalated to the channels
///     source: "HCSP, avis du 2021-…"
/// overrides:
///   - {asset: ECOLE-CLASSE-CP, rule: co2-classe, above: 1300}
///   - {asset: GYMNASE, rule: co2-classe, enabled: false}
/// ```
///
/// Street-lighting kinds compare a point's power with its nominal power (`nominal_power_w`) and the sun:
/// `kind: lamp_out` (below `share` × nominal at night), `day_burner` (above it in daylight),
/// `lit_during_switch_off` (above it within `switch_off: "23:00-05:00"`); `share` replaces `above`/`below`.
///
/// Sensor and meter kinds:
/// ```yaml
///   - {id: ecs-chute, kind: rate_of_change, metric: temperature, below: -10, per: 1h, …}   # change per hour
///   - {id: sonde-figee, kind: stuck, metric: temperature, for: 12h, tolerance: 0.05, …}    # same value for 12 h
///   - {id: co2-impossible, kind: implausible, metric: co2, min: 250, max: 10000, …}        # outside what a sensor measures
///   - {id: index-recul, kind: counter_rollback, metric: energy, tolerance: 0.5, …}         # index going back
///   - {id: fuite, kind: night_flow, metric: water_volume, above: 20, window: "02:00-04:00", nights: 2, …}
/// ```
/// A threshold may judge the value as a share of an asset attribute: `{metric: apparent_power, above: 0.95,
/// of: subscribed_power_kva}` (an attribute named `…_kva`/`…_kw` is in thousands of the reading's VA/W).
enum AlertRuleLoader {
    static let ruleKeys = ["id", "name", "metric", "kind", "share", "of", "switch_off", "window", "nights", "per", "tolerance", "min", "max", "percentile", "weeks", "while", "days", "hours", "occupancy", "unoccupied_for", "asset_types",
                           "domains", "above", "below", "for", "clear_below", "clear_above", "clear_for", "severity", "escalate_after", "source"]
    static let overrideKeys = ["asset", "rule", "enabled", "above", "below", "for", "clear_below", "clear_above", "clear_for"]
    static let severities = ["info", "warning", "critical"]

    /// - Parameters:
    ///   - assets: the inventory's assets (overrides must name one).
    ///   - metrics: the metrics the profiles produce (a rule on another metric could never fire).
    static func read(paths: [String], assets: [Asset], metrics: Set<String>, log: IssueLog) -> AlertRuleSet {
        var set = AlertRuleSet()
        var overrideNodes: [(node: Node, reader: YAMLReader)] = []
        var ruleLines: [String: String] = [:]
        for path in paths {
            guard let root = YAMLDocument.load(path, what: "alert rules file", log: log) else { continue }
            let reader = YAMLReader(file: path, log: log)
            guard let top = reader.mapping(root, "the alert rules file", keys: ["rules", "overrides", "silence", "calendars", "maintenance", "agents"]) else { continue }
            CalendarLoader.readAgents(top.list("agents") ?? [], reader: reader, assets: Set(assets.map(\.id)), into: &set.agents)
            CalendarLoader.readMaintenance(top.list("maintenance") ?? [], reader: reader, assets: Set(assets.map(\.id)), into: &set.maintenance)
            CalendarLoader.readCalendars(top.list("calendars") ?? [], reader: reader, into: &set.calendars)
            if let silence = top.mapping("silence", context: "silence", keys: ["missed_reports", "severity", "fold_into_parent", "escalate_after"]) {
                var rule = SilenceRule()
                rule.escalateAfter = seconds(silence, "escalate_after")
                if let missed = silence.integer("missed_reports", in: 1...1_000, unit: "reports") { rule.missedReports = missed }
                if let severity = silence.text("severity") {
                    if severities.contains(severity) {
                        rule.severity = severity
                    } else {
                        reader.log.add(reader.file, line: silence.line(of: "severity"), Suggestions.unknown("severity", severity, in: "silence", expected: severities))
                    }
                }
                if let fold = silence.boolean("fold_into_parent") { rule.foldIntoParent = fold }
                set.silence = rule
            }
            for (index, node) in (top.list("rules") ?? []).enumerated() {
                guard let rule = readRule(node, index: index, reader: reader, metrics: metrics) else { continue }
                if let first = ruleLines[rule.id] {
                    reader.issue(node, "rule id '\(rule.id)' is already defined at \(first): give each rule its own id")
                    continue
                }
                ruleLines[rule.id] = rule.origin
                set.rules.append(rule)
            }
            overrideNodes += (top.list("overrides") ?? []).map { ($0, reader) }
        }
        let assetsByID = Dictionary(assets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        checkCalendars(set, assets: assets, file: paths.first ?? "", log: log)
        for (node, reader) in overrideNodes {
            if let override = readOverride(node, reader: reader, rules: set.rules, assets: assetsByID) { set.overrides.append(override) }
        }
        return set
    }

    private static func readRule(_ node: Node, index: Int, reader: YAMLReader, metrics: Set<String>) -> AlertRuleDefinition? {
        let name = YAMLReader.entryName("rule", key: "id", in: node, index: index)
        guard let entry = reader.mapping(node, name, keys: ruleKeys) else { return nil }
        let id = entry.text("id", required: true)
        let title = entry.text("name", required: true, hint: "the alert's title for the agents, in French")
        let metric = entry.text("metric", required: true)
        if let metric, !metrics.isEmpty, !metrics.contains(metric) {
            reader.log.add(reader.file, line: entry.line(of: "metric"),
                           Suggestions.unknown("metric", metric, in: name, expected: metrics.sorted()) + ": no device profile produces it")
        }
        let types: [AssetType] = words(entry, "asset_types", what: "asset type", in: name)
        let domains: [Domain] = words(entry, "domains", what: "domain", in: name)
        if entry.node("asset_types") == nil, entry.node("domains") == nil {
            reader.log.add(reader.file, line: entry.line, "\(name) applies to no asset: give 'asset_types', 'domains' or both")
        }
        var kind = AlertRuleDefinition.Kind.threshold
        if let word = entry.text("kind") {
            if let known = AlertRuleDefinition.Kind(rawValue: word) {
                kind = known
            } else {
                reader.log.add(reader.file, line: entry.line(of: "kind"),
                               Suggestions.unknown("kind", word, in: name, expected: AlertRuleDefinition.Kind.allCases.map(\.rawValue)))
                return nil
            }
        }
        let levels = switch kind {
        case .threshold, .rateOfChange, .cabinetVsPoints: level(entry, context: name)
        case .nightFlow: level(entry, context: name, direction: .above)
        case .lampOut, .dayBurner, .litDuringSwitchOff: lightingLevel(entry, kind: kind, context: name)
        case .stuck, .implausible, .counterRollback, .consumptionAboveUsual: conditionLevel(entry, kind: kind, context: name)
        }
        let window = switch kind {
        case .litDuringSwitchOff: window(entry, "switch_off", context: name)
        case .cabinetVsPoints: entry.node("switch_off") == nil ? nil : window(entry, "switch_off", context: name)
        case .nightFlow: entry.node("window") == nil ? AlertRuleDefinition.DailyWindow(from: 120, to: 240) : window(entry, "window", context: name)
        default: AlertRuleDefinition.DailyWindow?.none
        }
        let kindKeys: [(key: String, kinds: [AlertRuleDefinition.Kind])] = [
            ("switch_off", [.litDuringSwitchOff, .cabinetVsPoints]), ("window", [.nightFlow]), ("of", [.threshold]), ("nights", [.nightFlow]), ("per", [.rateOfChange]),
            ("tolerance", [.stuck, .counterRollback]), ("percentile", [.consumptionAboveUsual]), ("weeks", [.consumptionAboveUsual]),
            ("min", [.implausible]), ("max", [.implausible]),
        ]
        var misplaced = false
        for (key, kinds) in kindKeys where !kinds.contains(kind) && entry.node(key) != nil {
            misplaced = true
            reader.log.add(reader.file, line: entry.line(of: key),
                           "\(name): '\(key)' only applies to kind \(kinds.map(\.rawValue).joined(separator: " or "))")
        }
        let ratePer = kind == .rateOfChange ? seconds(entry, "per") ?? 3_600 : 3_600
        let readNights = kind == .nightFlow ? entry.integer("nights", in: 1...30, unit: "nights") : nil
        let nights = readNights ?? 2
        // Out of range (reported by `integer`): the rule is not loaded with the default instead.
        if kind == .nightFlow, entry.node("nights") != nil, readNights == nil { misplaced = true }
        if ratePer <= 0 {
            reader.log.add(reader.file, line: entry.line(of: "per"), "\(name): 'per' must be a positive duration such as 1h or 10m")
        }
        let tolerance = entry.number("tolerance", in: 0...1e12) ?? 0
        let (minimum, maximum) = (entry.number("min"), entry.number("max"))
        if kind == .implausible {
            if minimum == nil, maximum == nil {
                reader.log.add(reader.file, line: entry.line, "\(name) gives no range: an implausible rule needs 'min', 'max' or both")
                return nil
            }
            if let minimum, let maximum, minimum >= maximum {
                reader.log.add(reader.file, line: entry.line(of: "max"), "\(name): 'max' (\(maximum)) must be above 'min' (\(minimum))")
                return nil
            }
        }
        let schedule: RuleSchedule?
        switch CalendarLoader.schedule(entry, context: name) {
        case .success(let read): schedule = read
        case .failure: return nil
        }
        let severity = entry.text("severity") ?? "warning"
        if !severities.contains(severity) {
            reader.log.add(reader.file, line: entry.line(of: "severity"), Suggestions.unknown("severity", severity, in: name, expected: severities))
        }
        var whileCondition: MetricCondition?
        if let condition = entry.mapping("while", context: "'while' of \(name)", keys: ["metric", "above", "below"]) {
            let conditionMetric = condition.text("metric", required: true, hint: "the other metric of the asset, e.g. metric: power")
            if let conditionMetric, !metrics.isEmpty, !metrics.contains(conditionMetric) {
                reader.log.add(reader.file, line: condition.line(of: "metric"),
                               Suggestions.unknown("metric", conditionMetric, in: "'while' of \(name)", expected: metrics.sorted()) + ": no device profile produces it")
            }
            switch (condition.number("above"), condition.number("below"), conditionMetric) {
            case (let level?, nil, let metric?): whileCondition = MetricCondition(metric: metric, direction: .above, level: level)
            case (nil, let level?, let metric?): whileCondition = MetricCondition(metric: metric, direction: .below, level: level)
            default:
                reader.log.add(reader.file, line: condition.line, "'while' of \(name) needs 'metric' and one of 'above' or 'below'")
                misplaced = true
            }
        }
        // Read once (an out-of-range value is reported by the reader); a value given but refused fails the rule.
        let readPercentile = entry.number("percentile", in: 50...100)
        let readWeeks = entry.integer("weeks", in: 2...52, unit: "weeks")
        if (entry.node("percentile") != nil && readPercentile == nil) || (entry.node("weeks") != nil && readWeeks == nil) { misplaced = true }
        let (percentile, weeks) = (readPercentile ?? 95, readWeeks ?? 8)
        guard let id, let title, let metric, let levels, severities.contains(severity), ratePer > 0, !misplaced,
              ![.litDuringSwitchOff, .nightFlow].contains(kind) || window != nil else { return nil }
        var rule = AlertRuleDefinition(id: id, name: title, metric: metric, kind: kind, window: window, schedule: schedule, nights: nights, relativeTo: entry.text("of"), ratePer: ratePer, tolerance: tolerance,
                                   plausibleMin: minimum, plausibleMax: maximum, assetTypes: types, domains: domains, direction: levels.direction,
                                   level: levels.level, duration: levels.duration ?? 0, clearLevel: levels.clearLevel,
                                   clearDuration: levels.clearDuration, severity: severity, escalateAfter: seconds(entry, "escalate_after"), source: entry.text("source"),
                                   origin: "\(reader.file):\(entry.line ?? 0)")
        (rule.percentile, rule.weeks, rule.whileCondition) = (percentile, weeks, whileCondition)
        return rule
    }

    /// Every calendar an asset names is defined; rules judged by occupancy have calendars to read.
    private static func checkCalendars(_ set: AlertRuleSet, assets: [Asset], file: String, log: IssueLog) {
        for asset in assets {
            guard case .text(let name)? = asset.attributes[OccupancyCalendar.assetAttribute], set.calendars[name] == nil else { continue }
            log.add(file, line: nil, Suggestions.unknown("calendar", name, in: "asset '\(asset.id)'", expected: set.calendars.keys.sorted())
                + ": define it under 'calendars:' in an alerts file")
        }
        if set.calendars.isEmpty, let rule = set.rules.first(where: { $0.schedule?.occupancy != nil }) {
            log.add(file, line: nil, "rule '\(rule.id)' (\(rule.origin)) is judged by occupancy, but no alerts file defines 'calendars:'")
        }
    }

    /// The values of a list of vocabulary words (asset types, domains); unknown words reported with the closest one.
    private static func words<Word: RawRepresentable & CaseIterable>(_ entry: YAMLMapping, _ key: String, what: String,
                                                                     in context: String) -> [Word] where Word.RawValue == String {
        (entry.textList(key) ?? []).compactMap { text in
            if let word = Word(rawValue: text) { return word }
            entry.reader.log.add(entry.reader.file, line: entry.line(of: key),
                                 Suggestions.unknown(what, text, in: context, expected: Word.allCases.map(\.rawValue)))
            return nil
        }
    }

    /// The direction and levels of a rule or an override: `above`/`below`, `clear_below`/`clear_above`, `for`, `clear_for`.
    private static func level(_ entry: YAMLMapping, context: String, required: Bool = true, direction expected: AlertRuleDefinition.Direction? = nil)
        -> (direction: AlertRuleDefinition.Direction, level: Double, duration: Int?, clearLevel: Double?, clearDuration: Int?)? {
        let reader = entry.reader
        let above = entry.number("above")
        let below = entry.number("below")
        var direction = expected
        var level: Double?
        switch (entry.node("above"), entry.node("below")) {
        case (.some, .some):
            reader.log.add(reader.file, line: entry.line(of: "below"), "\(context) has both 'above' and 'below': a rule watches one side (write two rules)")
            return nil
        case (.some, nil): (direction, level) = (.above, above)
        case (nil, .some): (direction, level) = (.below, below)
        case (nil, nil):
            if required {
                reader.log.add(reader.file, line: entry.line, "\(context) has no level: give 'above: N' or 'below: N'")
                return nil
            }
        }
        if let expected, let direction, direction != expected {
            reader.log.add(reader.file, line: entry.line, "\(context) says '\(direction.rawValue)' but the rule is '\(expected.rawValue)': use '\(expected.rawValue)'")
            return nil
        }
        let clearKey = direction == .below ? "clear_above" : "clear_below"
        let wrongClearKey = direction == .below ? "clear_below" : "clear_above"
        if entry.node(wrongClearKey) != nil {
            reader.log.add(reader.file, line: entry.line(of: wrongClearKey),
                           "\(context): '\(wrongClearKey)' does not fit a '\(direction?.rawValue ?? "")' rule; use '\(clearKey)'")
        }
        let clearLevel = entry.number(clearKey)
        if let clearLevel, let level, direction == .above ? clearLevel > level : clearLevel < level {
            reader.log.add(reader.file, line: entry.line(of: clearKey),
                           "\(context): '\(clearKey): \(clearLevel)' is beyond the raising level \(level): the alert would clear while still raised")
            return nil
        }
        let duration = seconds(entry, "for")
        let clearDuration = seconds(entry, "clear_for")
        guard let direction else { return nil }
        return (direction, level ?? .nan, duration, clearLevel, clearDuration)
    }

    /// A lighting rule's level: `share` of the nominal power (0–1), below it for `lamp_out`, above it otherwise.
    private static func lightingLevel(_ entry: YAMLMapping, kind: AlertRuleDefinition.Kind, context: String)
        -> (direction: AlertRuleDefinition.Direction, level: Double, duration: Int?, clearLevel: Double?, clearDuration: Int?)? {
        for key in ["above", "below", "clear_above", "clear_below"] where entry.node(key) != nil {
            entry.reader.log.add(entry.reader.file, line: entry.line(of: key),
                                 "\(context): a \(kind.rawValue) rule compares power with the nominal power: give 'share' (e.g. share: 0.3), not '\(key)'")
            return nil
        }
        guard let share = entry.number("share", required: true, in: 0.01...1) else { return nil }
        return (kind == .lampOut ? .below : .above, share, seconds(entry, "for"), nil, seconds(entry, "clear_for"))
    }

    /// The kinds that raise on a condition (`stuck`, `implausible`, `counter_rollback`) judge 1 (the condition holds)
    /// or 0: their level is fixed, only `for` (and `clear_for` for implausible) is configured. A stuck rule needs `for`.
    private static func conditionLevel(_ entry: YAMLMapping, kind: AlertRuleDefinition.Kind, context: String)
        -> (direction: AlertRuleDefinition.Direction, level: Double, duration: Int?, clearLevel: Double?, clearDuration: Int?)? {
        let refused = ["above", "below", "clear_above", "clear_below", "share"] + (kind == .implausible ? [] : ["clear_for"])
            + (kind == .counterRollback || kind == .consumptionAboveUsual ? ["for"] : [])
        for key in refused where entry.node(key) != nil {
            entry.reader.log.add(entry.reader.file, line: entry.line(of: key), "\(context): a \(kind.rawValue) rule takes no '\(key)'"
                + (kind == .implausible ? " (give the range with 'min' and 'max')" : kind == .stuck ? " (give how long with 'for')" : ""))
            return nil
        }
        let duration = seconds(entry, "for")
        if kind == .stuck, (duration ?? 0) <= 0 {
            entry.reader.log.add(entry.reader.file, line: entry.line(of: "for") ?? entry.line,
                                 "\(context): a stuck rule needs 'for', how long the value must not change (e.g. for: 12h)")
            return nil
        }
        return (.above, 0.5, duration, 0.5, kind == .implausible ? seconds(entry, "clear_for") ?? 0 : 0)
    }

    /// `"23:00-05:00"`: a daily window in local time.
    private static func window(_ entry: YAMLMapping, _ key: String, context: String) -> AlertRuleDefinition.DailyWindow? {
        guard let text = entry.text(key, required: true, hint: "a daily window in local time, e.g. \(key): \"23:00-05:00\"") else { return nil }
        guard let window = CalendarLoader.window(text) else {
            entry.reader.log.add(entry.reader.file, line: entry.line(of: key), "\(context): '\(key)' must be two local times, e.g. \"23:00-05:00\", got '\(text)'")
            return nil
        }
        return window
    }

    private static func seconds(_ entry: YAMLMapping, _ key: String) -> Int? {
        guard let text = entry.text(key) else { return nil }
        guard let seconds = Durations.seconds(text), seconds >= 0 else {
            entry.reader.log.add(entry.reader.file, line: entry.line(of: key), "'\(key)' must be a duration such as 10m, 1h30m or 90s, got '\(text)'")
            return nil
        }
        return seconds
    }

    private static func readOverride(_ node: Node, reader: YAMLReader, rules: [AlertRuleDefinition], assets: [String: Asset]) -> AlertRuleOverride? {
        guard let entry = reader.mapping(node, "override", keys: overrideKeys),
              let assetID = entry.text("asset", required: true), let ruleID = entry.text("rule", required: true) else { return nil }
        guard let rule = rules.first(where: { $0.id == ruleID }) else {
            reader.log.add(reader.file, line: entry.line(of: "rule"), Suggestions.unknown("rule", ruleID, in: "override", expected: rules.map(\.id)))
            return nil
        }
        guard let asset = assets[assetID] else {
            reader.log.add(reader.file, line: entry.line(of: "asset"), "override of '\(ruleID)': no asset '\(assetID)' in the inventory")
            return nil
        }
        if !rule.applies(toType: asset.type, domain: asset.domain) {
            reader.log.add(reader.file, line: entry.line, "override of '\(ruleID)' for '\(assetID)': the rule does not watch this asset "
                + "(a \(asset.type.rawValue) in \(asset.domain.rawValue)); add its type or domain to the rule instead")
            return nil
        }
        let context = "override of '\(ruleID)' for '\(assetID)'"
        if rule.kind.isCondition {
            for key in ["above", "below", "clear_above", "clear_below"] where entry.node(key) != nil {
                reader.log.add(reader.file, line: entry.line(of: key), "\(context): a \(rule.kind.rawValue) rule has no level to override; "
                    + "change 'for', or disable it with 'enabled: false'")
                return nil
            }
        }
        guard let levels = level(entry, context: context, required: false, direction: rule.direction) else { return nil }
        return AlertRuleOverride(assetID: assetID, ruleID: ruleID, enabled: entry.boolean("enabled") ?? true,
                                 level: levels.level.isNaN ? nil : levels.level, duration: levels.duration,
                                 clearLevel: levels.clearLevel, clearDuration: levels.clearDuration)
    }
}
