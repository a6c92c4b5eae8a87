import Yams

/// Reads `calendars:` of an alerts file: each building's weekly hours and its closures (school holidays, bank
/// holidays, works), and the schedule keys of a rule (`days`, `hours`, `occupancy`, `unoccupied_for`).
///
/// ```yaml
/// calendars:
///   - id: ecole
///     hours: {mon: "08:20-11:50, 13:30-16:30", tue: "08:20-11:50, 13:30-16:30", thu: …, fri: …}
///     closed:
///       - {from: 2026-12-19, to: 2027-01-03, reason: "Vacances de Noël"}
///       - {date: 2026-11-11, reason: "Armistice"}
/// ```
enum CalendarLoader {
    static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    static let calendarKeys = ["id", "hours", "closed"]
    static let closureKeys = ["from", "to", "date", "reason"]

    static func readCalendars(_ nodes: [Node], reader: YAMLReader, into calendars: inout [String: OccupancyCalendar]) {
        for (index, node) in nodes.enumerated() {
            let name = YAMLReader.entryName("calendar", key: "id", in: node, index: index)
            guard let entry = reader.mapping(node, name, keys: calendarKeys), let id = entry.text("id", required: true) else { continue }
            if calendars[id] != nil {
                reader.issue(node, "calendar '\(id)' is defined twice: give each calendar its own id")
                continue
            }
            var hours: [Int: [AlertRuleDefinition.DailyWindow]] = [:]
            var valid = true
            if let week = entry.mapping("hours", context: "hours of \(name)", keys: weekdays) {
                for (offset, day) in weekdays.enumerated() {
                    guard let text = week.text(day) else { continue }
                    guard let windows = Self.windows(text), !windows.isEmpty else {
                        reader.log.add(reader.file, line: week.line(of: day),
                                       "\(name): '\(day)' must list times such as \"08:00-12:00, 13:30-17:00\" (none past midnight), got '\(text)'")
                        valid = false
                        continue
                    }
                    hours[offset + 1] = windows
                }
            } else {
                reader.log.add(reader.file, line: entry.line, "\(name) has no 'hours': give the weekly occupied hours, e.g. hours: {mon: \"08:00-17:00\"}")
                valid = false
            }
            var closures: [OccupancyCalendar.Closure] = []
            for closure in entry.list("closed") ?? [] {
                guard let item = reader.mapping(closure, "closure of \(name)", keys: closureKeys) else { valid = false; continue }
                let single = item.text("date").flatMap(day)
                let from = item.text("from").flatMap(day) ?? single
                let to = item.text("to").flatMap(day) ?? single
                guard let from, let to, from <= to else {
                    reader.log.add(reader.file, line: item.line, "closure of \(name): give 'date: 2026-11-11' or 'from:'/'to:' dates (YYYY-MM-DD), 'from' first")
                    valid = false
                    continue
                }
                closures.append(.init(from: from, to: to, reason: item.text("reason")))
            }
            if valid { calendars[id] = OccupancyCalendar(id: id, hours: hours, closures: closures) }
        }
    }

    static let maintenanceKeys = ["assets", "from", "to", "reason"]

    /// `maintenance:` entries: `{assets: [ARMOIRE-A], from: "2026-12-01 08:00", to: "2026-12-01 17:00", reason: …}`.
    static func readMaintenance(_ nodes: [Node], reader: YAMLReader, assets: Set<String>, into windows: inout [MaintenanceWindow]) {
        for (index, node) in nodes.enumerated() {
            let name = "maintenance #\(index + 1)"
            guard let entry = reader.mapping(node, name, keys: maintenanceKeys) else { continue }
            let named = entry.textList("assets") ?? []
            if named.isEmpty {
                reader.log.add(reader.file, line: entry.line, "\(name) names no asset: give 'assets: [ID, …]' (their descendants are covered too)")
                continue
            }
            var valid = true
            for asset in named where !assets.contains(asset) {
                reader.log.add(reader.file, line: entry.line(of: "assets"), Suggestions.unknown("asset", asset, in: name, expected: assets.sorted()))
                valid = false
            }
            let from = entry.text("from", required: true).flatMap(localTime)
            let to = entry.text("to", required: true).flatMap(localTime)
            guard let from, let to, from < to else {
                reader.log.add(reader.file, line: entry.line, "\(name): give 'from' and 'to' as local times \"2026-12-01 08:00\", 'from' first")
                continue
            }
            if valid { windows.append(MaintenanceWindow(assets: named, from: from, to: to, reason: entry.text("reason"))) }
        }
    }

    static let agentKeys = ["id", "name", "email", "domains", "assets", "on_call", "fallback"]

    /// `agents:` entries: `{id, name, email, domains: [...], assets: [...], on_call: {days: [...], hours: "…"}, fallback: true}`.
    static func readAgents(_ nodes: [Node], reader: YAMLReader, assets: Set<String>, into agents: inout [Agent]) {
        for (index, node) in nodes.enumerated() {
            let name = YAMLReader.entryName("agent", key: "id", in: node, index: index)
            guard let entry = reader.mapping(node, name, keys: agentKeys), let id = entry.text("id", required: true),
                  let title = entry.text("name", required: true, hint: "the agent's name as alerts show it") else { continue }
            var valid = true
            let email = entry.text("email")
            if let email, !email.contains("@") || email.contains(" ") {
                reader.log.add(reader.file, line: entry.line(of: "email"), "\(name): '\(email)' is not an e-mail address")
                valid = false
            }
            var domains: [Domain] = []
            for word in entry.textList("domains") ?? [] {
                if let domain = Domain(rawValue: word) { domains.append(domain) } else {
                    reader.log.add(reader.file, line: entry.line(of: "domains"), Suggestions.unknown("domain", word, in: name, expected: Domain.allCases.map(\.rawValue)))
                    valid = false
                }
            }
            let named = entry.textList("assets") ?? []
            for asset in named where !assets.contains(asset) {
                reader.log.add(reader.file, line: entry.line(of: "assets"), Suggestions.unknown("asset", asset, in: name, expected: assets.sorted()))
                valid = false
            }
            var onCall: RuleSchedule?
            if let schedule = entry.mapping("on_call", context: "on_call of \(name)", keys: ["days", "hours"]) {
                switch Self.schedule(schedule, context: "on_call of \(name)") {
                case .success(let read): onCall = read
                case .failure: valid = false
                }
            }
            if agents.contains(where: { $0.id == id }) {
                reader.issue(node, "agent '\(id)' is defined twice: give each agent its own id")
                valid = false
            }
            if valid {
                agents.append(Agent(id: id, name: title, email: email, domains: domains, assets: named, onCall: onCall,
                                    fallback: entry.boolean("fallback") ?? false))
            }
        }
    }

    /// `202612010800` from `2026-12-01 08:00` (or `2026-12-01T08:00`).
    static func localTime(_ text: String) -> MaintenanceWindow.LocalTime? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2, let date = day(String(parts[0])), let time = minutes(parts[1]), time < 24 * 60 else { return nil }
        return Int64(date) * 10_000 + Int64(time / 60) * 100 + Int64(time % 60)
    }

    /// `20261219` from `2026-12-19`.
    static func day(_ text: String) -> OccupancyCalendar.Day? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]), parts[0] > 1_900 else { return nil }
        return parts[0] * 10_000 + parts[1] * 100 + parts[2]
    }

    /// `"08:00-12:00, 13:30-17:00"`: windows within one day, in order.
    static func windows(_ text: String) -> [AlertRuleDefinition.DailyWindow]? {
        var windows: [AlertRuleDefinition.DailyWindow] = []
        for part in text.split(separator: ",") {
            guard let window = window(String(part)), window.from < window.to else { return nil }
            if let last = windows.last, last.to > window.from { return nil }
            windows.append(window)
        }
        return windows
    }

    /// `"23:00-05:00"`: one daily window (it may wrap past midnight).
    static func window(_ text: String) -> AlertRuleDefinition.DailyWindow? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let from = minutes(parts[0]), let to = minutes(parts[1]), from != to else { return nil }
        return AlertRuleDefinition.DailyWindow(from: from, to: to)
    }

    /// `08:30` as minutes after midnight (`24:00` allowed: the end of a day).
    static func minutes(_ part: Substring) -> Int? {
        let pieces = part.split(separator: ":")
        guard pieces.count == 2, let hours = Int(pieces[0].trimmingCharacters(in: .whitespaces)),
              let minutes = Int(pieces[1].trimmingCharacters(in: .whitespaces)), (0...24).contains(hours), (0...59).contains(minutes),
              hours * 60 + minutes <= 24 * 60 else { return nil }
        return hours * 60 + minutes
    }

    /// The schedule keys of a rule; nil when it has none; `.failure` when one is wrong (reported).
    static func schedule(_ entry: YAMLMapping, context: String) -> Result<RuleSchedule?, ScheduleError> {
        let reader = entry.reader
        guard entry.node("days") != nil || entry.node("hours") != nil || entry.node("occupancy") != nil || entry.node("unoccupied_for") != nil else {
            return .success(nil)
        }
        var schedule = RuleSchedule()
        for day in entry.textList("days") ?? [] {
            guard let index = weekdays.firstIndex(of: day) else {
                reader.log.add(reader.file, line: entry.line(of: "days"), Suggestions.unknown("day", day, in: context, expected: weekdays))
                return .failure(ScheduleError())
            }
            schedule.days.insert(index + 1)
        }
        if let text = entry.text("hours") {
            guard let window = window(text) else {
                reader.log.add(reader.file, line: entry.line(of: "hours"), "\(context): 'hours' must be two local times, e.g. \"08:00-18:00\", got '\(text)'")
                return .failure(ScheduleError())
            }
            schedule.hours = window
        }
        let occupancy = entry.text("occupancy")
        let unoccupiedFor = entry.text("unoccupied_for")
        switch occupancy {
        case "occupied"?:
            if unoccupiedFor != nil {
                reader.log.add(reader.file, line: entry.line(of: "unoccupied_for"), "\(context): 'unoccupied_for' goes with 'occupancy: unoccupied'")
                return .failure(ScheduleError())
            }
            schedule.occupancy = .occupied
        case "unoccupied"?:
            guard let text = unoccupiedFor else {
                schedule.occupancy = .unoccupied(atLeast: 0, lessThan: nil)
                break
            }
            guard let range = span(text) else {
                reader.log.add(reader.file, line: entry.line(of: "unoccupied_for"),
                               "\(context): 'unoccupied_for' must be a span such as \"24h-48h\" or \"48h+\", got '\(text)'")
                return .failure(ScheduleError())
            }
            schedule.occupancy = .unoccupied(atLeast: range.atLeast, lessThan: range.lessThan)
        case let other?:
            reader.log.add(reader.file, line: entry.line(of: "occupancy"), Suggestions.unknown("occupancy", other, in: context, expected: ["occupied", "unoccupied"]))
            return .failure(ScheduleError())
        case nil:
            if unoccupiedFor != nil {
                reader.log.add(reader.file, line: entry.line(of: "unoccupied_for"), "\(context): 'unoccupied_for' goes with 'occupancy: unoccupied'")
                return .failure(ScheduleError())
            }
        }
        return .success(schedule)
    }

    /// `"24h-48h"` (at least 24 h, less than 48 h) or `"48h+"` (at least 48 h).
    static func span(_ text: String) -> (atLeast: Int, lessThan: Int?)? {
        if text.hasSuffix("+") { return Durations.seconds(String(text.dropLast())).map { ($0, nil) } }
        let parts = text.split(separator: "-").map(String.init)
        guard parts.count == 2, let low = Durations.seconds(parts[0]), let high = Durations.seconds(parts[1]), low < high else { return nil }
        return (low, high)
    }

    struct ScheduleError: Error {}
}
