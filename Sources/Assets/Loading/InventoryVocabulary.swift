import Foundation

/// The inventory's closed vocabularies (asset types, domains, import kinds) and how attribute values are typed.
enum InventoryVocabulary {
    static let assetTypes = AssetType.allCases.map(\.rawValue)
    static let domains = Domain.allCases.map(\.rawValue)
    static let importKinds = ["assets", "devices"]

    /// The asset type for `raw`, or the message explaining it is unknown.
    static func assetType(_ raw: String) -> Result<AssetType, Message> {
        AssetType(rawValue: raw).map { .success($0) } ?? .failure(Message(Suggestions.unknown("asset type", raw, expected: assetTypes)))
    }

    static func domain(_ raw: String) -> Result<Domain, Message> {
        Domain(rawValue: raw).map { .success($0) } ?? .failure(Message(Suggestions.unknown("domain", raw, expected: domains)))
    }

    /// A message as an error, so vocabulary look-ups can return `Result`.
    struct Message: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// An attribute value written as text (a CSV cell): `true`/`false` are booleans; decimal numbers are numbers,
    /// except digit strings with a leading zero or of 10 digits or more (postcodes, PRM, SIRET, phone numbers),
    /// which stay text; anything else is text. `decimalComma` accepts `12,5` (semicolon-separated CSV files).
    static func attribute(fromText text: String, decimalComma: Bool = false) -> AttributeValue {
        switch text {
        case "true", "TRUE", "True": return .bool(true)
        case "false", "FALSE", "False": return .bool(false)
        default: break
        }
        if let number = number(text, decimalComma: decimalComma) { return .number(number) }
        return .text(text)
    }

    /// A decimal number as people write it in a spreadsheet, or `nil`.
    static func number(_ text: String, decimalComma: Bool = false) -> Double? {
        var candidate = text
        if decimalComma { candidate = candidate.replacingOccurrences(of: ",", with: ".") }
        guard candidate.range(of: #"^[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil,
              let value = Double(candidate), value.isFinite else { return nil }
        let integerDigits = candidate.prefix { $0 != "." && $0 != "e" && $0 != "E" }.filter(\.isNumber).count
        return integerDigits >= 10 ? nil : value
    }
}
