import Foundation

/// MQTT topic-filter syntax (MQTT 3.1.1 §4.7 and 5.0 §4.7).
public enum TopicFilter {
    /// Why `filter` is not a valid subscription filter, or `nil` when it is.
    ///
    /// Rules: not empty; at most 65,535 UTF-8 bytes; no NUL character; `+` fills a whole level
    /// (`a/+/c`, never `a+`); `#` fills the last level (`a/#`, never `a/#/b` or `a#`). Shared subscriptions
    /// (`$share/…`) are refused here: the gateway builds them from `shared_group`.
    public static func problem(with filter: String) -> String? {
        if filter.isEmpty { return "a topic filter cannot be empty" }
        if filter.utf8.count > 65_535 { return "a topic filter is at most 65535 bytes long" }
        if filter.unicodeScalars.contains("\u{0}") { return "a topic filter cannot contain the NUL character" }
        if filter.hasPrefix("$share/") {
            return "write the plain filter and set mqtt.shared_group instead of '$share/…' in the topic"
        }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("#") {
                if level != "#" {
                    return "'#' must be a whole level (write '\(suggestion(levels, index, "#"))')"
                }
                if index != levels.count - 1 {
                    return "'#' must be the last level (it matches everything below it)"
                }
            }
            if level.contains("+"), level != "+" {
                return "'+' must be a whole level (write '\(suggestion(levels, index, "+"))')"
            }
        }
        return nil
    }

    /// The filter with a misused wildcard moved to a level of its own.
    private static func suggestion(_ levels: [Substring], _ index: Int, _ wildcard: String) -> String {
        var fixed = levels.map(String.init)
        let rest = fixed[index].replacingOccurrences(of: wildcard, with: "")
        fixed.replaceSubrange(index...index, with: rest.isEmpty ? [wildcard] : [rest, wildcard])
        if wildcard == "#" { fixed = Array(fixed.prefix(index + (rest.isEmpty ? 1 : 2))) }
        return fixed.joined(separator: "/")
    }
}
