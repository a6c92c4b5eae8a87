import Assets
import Foundation

/// The French texts agents read: what, where, the value against the threshold, and since when.
enum AlertMessage {
    /// « CO₂ élevé dans une salle de classe — Salle CP (École Jules Ferry, 2 rue des Écoles) : 1 620 ppm, seuil
    /// 1 500 ppm, depuis le 29/11/2026 14:05. »
    static func raised(_ rule: AlertRuleDefinition, asset: Asset?, value: Double, unit: String, since: Int64, timeZone: TimeZone) -> String {
        var place = asset?.name ?? "actif inconnu"
        if let address = asset?.address { place += " (\(address))" }
        let comparison = rule.direction == .above ? "au-dessus du seuil" : "sous le seuil"
        return "\(rule.name) — \(place) : \(number(value)) \(unit), \(comparison) de \(number(rule.level)) \(unit), "
            + "depuis le \(AlertText.dateTime(since, timeZone: timeZone))."
    }

    /// « Revenu à 1 150 ppm (sous 1 200 ppm) depuis le 29/11/2026 14:40. »
    static func cleared(_ rule: AlertRuleDefinition, value: Double, unit: String, since: Int64, timeZone: TimeZone) -> String {
        let side = rule.direction == .above ? "sous" : "au-dessus de"
        return "Revenu à \(number(value)) \(unit) (\(side) \(number(rule.clearLevel)) \(unit)) depuis le \(AlertText.dateTime(since, timeZone: timeZone))."
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
