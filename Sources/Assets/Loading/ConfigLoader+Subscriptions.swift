import Yams

extension ConfigLoader {
    static let subscriptionKeys = ["topic", "format", "name", "options"]

    static func readSubscriptions(_ top: YAMLMapping, formats: [String: Set<String>], reader: YAMLReader) -> [Subscription] {
        let example = "e.g. '- {topic: \"application/+/device/+/event/up\", format: chirpstack-v4}'"
        guard let node = top.required("subscriptions", hint: "list the MQTT topics to read, \(example)"),
              let items = reader.list(node, "subscriptions") else { return [] }
        if items.isEmpty {
            reader.issue(node, "'subscriptions' is empty: add at least one, \(example)")
        }
        var subscriptions: [Subscription] = []
        var topicLines: [String: Int?] = [:]
        var nameLines: [String: Int?] = [:]
        for (index, item) in items.enumerated() {
            let context = YAMLReader.entryName("subscription", key: "topic", in: item, index: index)
            guard let entry = reader.mapping(item, context, keys: subscriptionKeys) else { continue }
            let topic = entry.text("topic", required: true, hint: "the MQTT topic filter to subscribe to")
            if let topic, let problem = TopicFilter.problem(with: topic) {
                reader.log.add(reader.file, line: entry.line(of: "topic"), "invalid topic filter '\(topic)': \(problem)")
            }
            let format = entry.text("format", required: true, hint: "one of \(formats.keys.sorted().joined(separator: ", "))")
            if let format, formats[format] == nil {
                reader.log.add(reader.file, line: entry.line(of: "format"), Suggestions.unknown("format", format, expected: formats.keys.sorted()))
            }
            let options = readOptions(entry, format: format, formats: formats, reader: reader)
            guard let topic, let format else { continue }
            let subscription = Subscription(name: entry.text("name"), topic: topic, format: format, options: options)

            if let first = topicLines[topic] {
                reader.log.add(reader.file, line: entry.line(of: "topic"), "topic '\(topic)' is already subscribed at line \(first.map(String.init) ?? "?"): remove one")
            } else {
                topicLines[topic] = entry.line(of: "topic")
            }
            if let first = nameLines[subscription.name], subscription.name != topic {
                reader.log.add(reader.file, line: entry.line(of: "name"), "subscription name '\(subscription.name)' is already used at line \(first.map(String.init) ?? "?"): names must be unique")
            } else {
                nameLines[subscription.name] = entry.line(of: entry.node("name") == nil ? "topic" : "name")
            }
            subscriptions.append(subscription)
        }
        return subscriptions
    }

    private static func readOptions(_ entry: YAMLMapping, format: String?, formats: [String: Set<String>], reader: YAMLReader) -> [String: String] {
        guard let node = entry.node("options") else { return [:] }
        let allowed = format.flatMap { formats[$0] }.map { $0.sorted() } ?? []
        guard case .mapping(let mapping) = node else {
            reader.issue(node, "'options' must be a mapping of 'key: value' lines, not \(node.kindDescription)")
            return [:]
        }
        var options: [String: String] = [:]
        for (keyNode, valueNode) in mapping {
            guard let key = reader.text(keyNode, "options") else { continue }
            if let format, formats[format] != nil, !allowed.contains(key) {
                let message = allowed.isEmpty
                    ? "format '\(format)' takes no options: remove '\(key)'"
                    : Suggestions.unknown("option", key, in: "format '\(format)'", expected: allowed)
                reader.issue(keyNode, message)
            }
            if valueNode.isNull {
                reader.issue(valueNode, "option '\(key)' has no value: give one or remove it")
            } else if let value = reader.text(valueNode, key) {
                options[key] = value
            }
        }
        return options
    }
}
