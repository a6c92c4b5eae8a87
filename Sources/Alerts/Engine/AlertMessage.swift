import Assets
import Foundation

/// The French texts agents read: what, where, the value against the threshold, and since when.
enum AlertMessage {
    /// « CO₂ élevé dans une salle de classe — Salle CP (École Jules Ferry, 2 rue des Écoles) : 1 620 ppm, seuil
    /// 1 500 ppm, depuis le 29/11/2026 14:05. »
    /// For the lighting kinds: « Point lumineux éteint la nuit — Place de la Mairie — point 1 (1 place de la Mairie) :
    /// 2 W de nuit pour 39 W nominaux (seuil 11,7 W), depuis le 12/01/2026 18:05. »
    /// For the kinds judged on earlier readings, `before` holds them: « Index du compteur en recul — Compteur mairie
    /// (1 place de la Mairie) : 12 kWh après 45 210 kWh le 29/11/2026 14:05 (remise à zéro ou compteur remplacé ?). »
    /// For `cabinet_vs_points`, `expected` is the nominal power of the working points and how many of all work.
    static func raised(_ rule: WatchedRule, asset: Asset?, value: Double, unit: String, since: Int64, before: ReadingMemory = ReadingMemory(),
                       expected: (watts: Double, working: Int)? = nil, timeZone: TimeZone) -> String {
        var place = asset?.name ?? "actif inconnu"
        if let address = asset?.address { place += " (\(address))" }
        let definition = rule.definition
        let when = "depuis le \(AlertText.dateTime(since, timeZone: timeZone))."
        let nominal = "pour \(number(rule.nominalPower ?? 0)) W nominaux (seuil \(number(definition.level * (rule.nominalPower ?? 0))) W)"
        switch definition.kind {
        case .threshold where definition.relativeTo != nil:
            let reference = rule.nominalPower ?? 0
            let share = reference > 0 ? value / reference : 0
            let of = definition.relativeTo.map { Self.attributeNames[$0] ?? $0 } ?? ""
            return "\(definition.name) — \(place) : \(number(value)) \(unit), soit \(percent(share)) de \(of) (\(number(reference)) \(unit)), "
                + "seuil \(percent(definition.level)), \(when)"
        case .threshold:
            let comparison = definition.direction == .above ? "au-dessus du seuil" : "sous le seuil"
            return "\(definition.name) — \(place) : \(number(value)) \(unit), \(comparison) de \(number(definition.level)) \(unit), \(when)"
        case .lampOut:
            return "\(definition.name) — \(place) : \(number(value)) \(unit) de nuit \(nominal), \(when)"
        case .dayBurner:
            return "\(definition.name) — \(place) : \(number(value)) \(unit) en plein jour \(nominal), \(when)"
        case .litDuringSwitchOff:
            let window = definition.window.map { " (\(clock($0.from))–\(clock($0.to)))" } ?? ""
            return "\(definition.name) — \(place) : \(number(value)) \(unit) pendant l'extinction nocturne\(window) \(nominal), \(when)"
        case .rateOfChange:
            let per = "\(unit)/\(span(definition.ratePer))"
            let change = before.previous.map { previous -> String in
                let rate = (value - previous.value) / (Double(max(1, since - previous.time)) / 1000 / Double(definition.ratePer))
                return "\(signed(rate)) \(per) (de \(number(previous.value)) à \(number(value)) \(unit) depuis \(AlertText.dateTime(previous.time, timeZone: timeZone)))"
            } ?? "\(number(value)) \(unit)"
            let comparison = definition.direction == .above ? "au-dessus du seuil" : "sous le seuil"
            return "\(definition.name) — \(place) : \(change), \(comparison) de \(signed(definition.level)) \(per), le \(AlertText.dateTime(since, timeZone: timeZone))."
        case .stuck:
            let tolerance = definition.tolerance > 0 ? " (à \(number(definition.tolerance)) \(unit) près)" : ""
            return "\(definition.name) — \(place) : \(number(value)) \(unit) sans changement\(tolerance) depuis le "
                + "\(AlertText.dateTime(since, timeZone: timeZone)), plus de \(AlertText.interval(definition.duration)) : capteur figé ?"
        case .implausible:
            let range = switch (definition.plausibleMin, definition.plausibleMax) {
            case let (low?, high?): "hors de la plage possible \(number(low))–\(number(high)) \(unit)"
            case let (low?, nil): "sous le minimum possible de \(number(low)) \(unit)"
            case let (nil, high?): "au-dessus du maximum possible de \(number(high)) \(unit)"
            case (nil, nil): "valeur impossible"
            }
            return "\(definition.name) — \(place) : \(number(value)) \(unit), \(range), depuis le "
                + "\(AlertText.dateTime(since, timeZone: timeZone)) : capteur défaillant ?"
        case .nightFlow:
            let window = definition.window.map { "entre \(clock($0.from)) et \(clock($0.to))" } ?? "la nuit"
            let nights = definition.nights == 1 ? "" : ", \(definition.nights) nuits de suite"
            return "\(definition.name) — \(place) : débit minimal de \(number(value)) \(unit)/h \(window)\(nights) (seuil "
                + "\(number(definition.level)) \(unit)/h), depuis la nuit du \(AlertText.dateTime(since, timeZone: timeZone).prefix(10)) : fuite ?"
        case .consumptionAboveUsual:
            return "\(definition.name) — \(place) : \(number(value)) \(unit), \(when)"
        case .cabinetVsPoints:
            let watts = expected?.watts ?? rule.nominalPower ?? 0
            let working = expected?.working ?? rule.children.count
            return "\(definition.name) — \(place) : \(number(value)) \(unit) mesurés de nuit pour \(number(watts)) W attendus "
                + "(\(working) points lumineux en service sur \(rule.children.count)), soit \(percent(watts > 0 ? value / watts : 0)), "
                + "seuil \(percent(definition.level)), \(when)"
        case .counterRollback:
            let previous = before.previous.map { " après \(number($0.value)) \(unit) (relevé du \(AlertText.dateTime($0.time, timeZone: timeZone)))" } ?? ""
            return "\(definition.name) — \(place) : index \(number(value)) \(unit)\(previous), le "
                + "\(AlertText.dateTime(since, timeZone: timeZone)) : remise à zéro ou compteur remplacé ?"
        }
    }

    /// « Fin de la période surveillée (bâtiment inoccupé depuis 24 à 48 h) le 05/01/2026 07:30. »
    static func leftSchedule(_ rule: WatchedRule, since: Int64, timeZone: TimeZone) -> String {
        var period = rule.definition.schedule.map { scheduleText($0) } ?? ""
        if let condition = rule.definition.whileCondition {
            period += (period.isEmpty ? "" : ", ") + "\(condition.metric) \(condition.direction == .above ? "au-dessus de" : "sous") \(number(condition.level))"
        }
        return "Fin de la période surveillée (\(period)) le \(AlertText.dateTime(since, timeZone: timeZone))."
    }

    /// `bâtiment occupé`, `bâtiment inoccupé depuis 24 à 48 h`, `lun–ven 08:00–18:00`.
    static func scheduleText(_ schedule: RuleSchedule?) -> String {
        guard let schedule else { return "toujours" }
        var parts: [String] = []
        if !schedule.days.isEmpty {
            let names = ["", "lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
            parts.append(schedule.days.sorted().map { names[$0] }.joined(separator: ", "))
        }
        if let hours = schedule.hours { parts.append("\(clock(hours.from))–\(clock(hours.to))") }
        switch schedule.occupancy {
        case .occupied?: parts.append("bâtiment occupé")
        case .unoccupied(let atLeast, let lessThan)?:
            let since = atLeast == 0 ? "" : lessThan == nil ? " depuis plus de \(AlertText.interval(atLeast))" : " depuis \(AlertText.interval(atLeast))"
            parts.append("bâtiment inoccupé" + since + (lessThan.map { " à \(AlertText.interval($0))" } ?? ""))
        case nil: break
        }
        return parts.joined(separator: ", ")
    }

    /// The French name of the asset attributes a threshold may be relative to.
    static let attributeNames = ["subscribed_power_kva": "la puissance souscrite", "subscribed_power_kw": "la puissance souscrite",
                                 "nominal_power_w": "la puissance nominale", "nominal_flow_m3h": "le débit nominal"]

    /// `98 %`: a share as a whole percentage (French spacing).
    static func percent(_ share: Double) -> String { "\(number((share * 100).rounded()))\u{00A0}%" }

    /// « Consommation inhabituelle — Mairie (1 place de la Mairie) : 152 kWh le mardi 01/12/2026, au-dessus du
    /// 95e centile des 8 mardis précédents (118 kWh). »
    static func aboveUsual(_ rule: AlertRuleDefinition, asset: Asset, consumption: Double, usual: Double, unit: String, day: Int64,
                           history: Int, timeZone: TimeZone) -> String {
        var place = asset.name
        if let address = asset.address { place += " (\(address))" }
        let weekday = dayName(day, timeZone: timeZone).split(separator: " ").first.map(String.init) ?? ""
        return "\(rule.name) — \(place) : \(quantity(consumption, unit)) le \(dayName(day, timeZone: timeZone)), au-dessus du "
            + "\(number(rule.percentile))e centile des \(history) \(weekday)s précédents (\(quantity(usual, unit)))."
    }

    /// `mardi 01/12/2026`.
    static func dayName(_ milliseconds: Int64, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let names = ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]
        let weekday = calendar.component(.weekday, from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        return "\(names[weekday - 1]) \(AlertText.dateTime(milliseconds, timeZone: timeZone).prefix(10))"
    }

    /// `152 kWh` for 152,000 Wh; other units as they are.
    static func quantity(_ value: Double, _ unit: String) -> String {
        if unit == "Wh", abs(value) >= 1_000 { return "\(number(value / 1_000)) kWh" }
        if unit == "L", abs(value) >= 1_000 { return "\(number(value / 1_000)) m³" }
        return "\(number(value)) \(unit)"
    }

    /// `h` for 3,600 s, `min` for 60 s, `j` for a day, otherwise `15 min` or `2 h`.
    static func span(_ seconds: Int) -> String {
        switch seconds {
        case 3_600: "h"
        case 60: "min"
        case 86_400: "j"
        default: AlertText.interval(seconds)
        }
    }

    /// `+2,5` or `-10`: a change, always signed.
    static func signed(_ value: Double) -> String {
        value > 0 ? "+" + number(value) : number(value)
    }

    /// `05:00` from minutes after midnight.
    static func clock(_ minutes: Int) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(minutes / 60)):\(two(minutes % 60))"
    }

    /// « Revenu à 1 150 ppm (sous 1 200 ppm) depuis le 29/11/2026 14:40. »
    static func cleared(_ rule: WatchedRule, value: Double, unit: String, since: Int64, timeZone: TimeZone) -> String {
        let definition = rule.definition
        switch definition.kind {
        case .stuck:
            return "La valeur change de nouveau (\(number(value)) \(unit)) depuis le \(AlertText.dateTime(since, timeZone: timeZone))."
        case .implausible:
            return "Valeur de nouveau plausible (\(number(value)) \(unit)) depuis le \(AlertText.dateTime(since, timeZone: timeZone))."
        case .rateOfChange:
            let side = definition.direction == .above ? "sous" : "au-dessus de"
            return "Variation revenue \(side) \(signed(definition.clearLevel)) \(unit)/\(span(definition.ratePer)) depuis le "
                + "\(AlertText.dateTime(since, timeZone: timeZone))."
        case .nightFlow:
            return "Débit minimal de nuit revenu à \(number(value)) \(unit)/h (sous \(number(definition.clearLevel)) \(unit)/h) la nuit du "
                + "\(AlertText.dateTime(since, timeZone: timeZone).prefix(10))."
        case .cabinetVsPoints:
            let side = definition.direction == .above ? "sous" : "au-dessus de"
            return "Puissance de l'armoire revenue à \(number(value)) \(unit) (\(side) \(percent(definition.clearLevel)) de la puissance attendue) "
                + "depuis le \(AlertText.dateTime(since, timeZone: timeZone))."
        case .threshold, .lampOut, .dayBurner, .litDuringSwitchOff, .counterRollback, .consumptionAboveUsual:
            break
        }
        let side = definition.direction == .above ? "sous" : "au-dessus de"
        let level = definition.kind.isLighting || definition.relativeTo != nil ? definition.clearLevel * (rule.nominalPower ?? 0) : definition.clearLevel
        return "Revenu à \(number(value)) \(unit) (\(side) \(number(level)) \(unit)) depuis le \(AlertText.dateTime(since, timeZone: timeZone))."
    }

    /// French number formatting: a comma for decimals, a narrow no-break space between thousands, at most 2 decimals.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        let negative = rounded < 0
        let integer = Int(abs(rounded).rounded(.down))
        let cents = Int(((abs(rounded) - Double(integer)) * 100).rounded())
        var digits = String(integer)
        var grouped = ""
        while digits.count > 3 {
            grouped = "\u{202F}" + digits.suffix(3) + grouped
            digits = String(digits.dropLast(3))
        }
        grouped = digits + grouped
        if cents > 0 { grouped += "," + (cents % 10 == 0 ? String(cents / 10) : (cents < 10 ? "0\(cents)" : String(cents))) }
        return (negative ? "-" : "") + grouped
    }
}
