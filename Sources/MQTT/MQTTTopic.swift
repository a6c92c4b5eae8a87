/// MQTT topic filter matching (`+` one level, `#` the rest), and shared-subscription prefixes.
public enum MQTTTopic {
    /// True when `topic` matches `filter`. A `$share/GROUP/` prefix on the filter is ignored, and per the MQTT
    /// specification wildcards at the first level do not match topics starting with `$`.
    public static func matches(_ filter: String, _ topic: String) -> Bool {
        let filterLevels = stripShare(filter).split(separator: "/", omittingEmptySubsequences: false)
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        if topic.hasPrefix("$"), let first = filterLevels.first, first == "+" || first == "#" { return false }
        var index = 0
        while index < filterLevels.count {
            let level = filterLevels[index]
            if level == "#" { return true }
            guard index < topicLevels.count else { return false }
            if level != "+" && level != topicLevels[index] { return false }
            index += 1
        }
        return index == topicLevels.count
    }

    /// The filter without a `$share/GROUP/` prefix.
    public static func stripShare(_ filter: String) -> String {
        guard filter.hasPrefix("$share/") else { return filter }
        let rest = filter.dropFirst("$share/".count)
        guard let slash = rest.firstIndex(of: "/") else { return filter }
        return String(rest[rest.index(after: slash)...])
    }

    /// `filter` subscribed through a shared-subscription group.
    public static func shared(_ filter: String, group: String?) -> String {
        guard let group, !group.isEmpty else { return filter }
        return "$share/\(group)/\(filter)"
    }
}
