import Foundation
import Yams

/// Loads the gateway's YAML configuration file into a `GatewayConfig`.
///
/// Relative paths in the file (database, journal, inventory, profiles, password and TLS files) are resolved
/// against the file's own folder and returned absolute. Every problem is reported with its line; a password
/// written in the file is refused (use `password_file` or `password_env`).
public enum ConfigLoader {
    /// The top-level keys of the configuration file.
    static let topLevelKeys = ["commune", "mqtt", "subscriptions", "storage", "inventory", "profiles", "alerts", "notifications", "log_level"]
    /// swift-log's level names.
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Loads and validates the configuration at `path`.
    ///
    /// - Parameters:
    ///   - path: the YAML file; relative to the current directory when not absolute.
    ///   - formats: the payload formats subscriptions may name, each with the option keys it understands
    ///     (from `PayloadFormat`, which this module cannot see).
    /// - Throws: `ValidationFailed` with every issue found.
    public static func load(path: String, formats: [String: Set<String>]) throws -> GatewayConfig {
        let log = IssueLog()
        let config = read(path: path, formats: formats, log: log)
        try log.throwIfAny()
        guard let config else { throw ValidationFailed(issues: log.issues) }
        return config
    }

    /// Reads the configuration, logging issues; invalid settings are replaced by their defaults so the rest
    /// can still be checked. `nil` only when the file cannot be read or is not a YAML mapping.
    static func read(path: String, formats: [String: Set<String>], log: IssueLog) -> GatewayConfig? {
        let file = FilePaths.resolve(path)
        guard let root = YAMLDocument.load(file, what: "configuration file", log: log) else { return nil }
        let reader = YAMLReader(file: file, log: log)
        guard let top = reader.mapping(root, "the configuration", keys: topLevelKeys) else { return nil }
        let directory = FilePaths.directory(of: file)

        let commune = readCommune(top, reader: reader)
        let mqtt = readMQTT(top, directory: directory, reader: reader)
        let subscriptions = readSubscriptions(top, formats: formats, reader: reader)
        let storage = readStorage(top, directory: directory, reader: reader)

        var inventory: [String] = []
        if let paths = top.textList("inventory") {
            inventory = paths.map { FilePaths.resolve($0, relativeTo: directory) }
        } else if top.node("inventory") == nil {
            log.add(file, line: top.line, "missing 'inventory': name the inventory file(s), e.g. 'inventory: [inventory.yaml]'")
        }
        let profiles = (top.textList("profiles") ?? ["devices"]).map { FilePaths.resolve($0, relativeTo: directory) }
        let alerts = (top.textList("alerts") ?? []).map { FilePaths.resolve($0, relativeTo: directory) }

        var logLevel = "info"
        if let level = top.text("log_level") {
            if logLevels.contains(level.lowercased()) {
                logLevel = level.lowercased()
            } else {
                log.add(file, line: top.line(of: "log_level"), Suggestions.unknown("log level", level, expected: logLevels))
            }
        }

        return GatewayConfig(path: file, commune: commune, mqtt: mqtt, subscriptions: subscriptions, storage: storage,
                             inventory: inventory, profiles: profiles, alerts: alerts, webhooks: readWebhooks(top, reader: reader),
                             mqttAlerts: readMQTTAlerts(top, reader: reader), emailAlerts: readEmailAlerts(top, reader: reader), logLevel: logLevel)
    }

    private static func readCommune(_ top: YAMLMapping, reader: YAMLReader) -> Commune {
        guard let node = top.required("commune", hint: "add 'commune: {name: \"…\", timezone: Europe/Paris}'"),
              let section = reader.mapping(node, "commune", keys: ["name", "timezone", "latitude", "longitude"]) else {
            return Commune(name: "")
        }
        let name = section.text("name", required: true, hint: "the commune's name, e.g. name: \"Saint-Exemple\"") ?? ""
        var timeZone = "Europe/Paris"
        if let identifier = section.text("timezone") {
            if TimeZone(identifier: identifier) != nil {
                timeZone = identifier
            } else {
                reader.log.add(reader.file, line: section.line(of: "timezone"),
                               "unknown time zone '\(identifier)': use an IANA identifier such as Europe/Paris, America/Cayenne or Indian/Reunion")
            }
        }
        return Commune(name: name, timeZone: timeZone, coordinates: section.coordinates())
    }

    /// `notifications: {mqtt: {name: supervision, topic: "communes/saint-exemple/alertes", timeout: 10}}`.
    private static func readMQTTAlerts(_ top: YAMLMapping, reader: YAMLReader) -> MQTTAlertSettings? {
        guard let section = top.mapping("notifications", context: "notifications", keys: ["webhooks", "mqtt", "email"]),
              let entry = section.mapping("mqtt", context: "notifications.mqtt", keys: ["name", "topic", "timeout"]),
              let topic = entry.text("topic", required: true, hint: "the prefix alerts are published under, e.g. topic: communes/saint-exemple/alertes")
        else { return nil }
        if topic.isEmpty || topic.contains("+") || topic.contains("#") || topic.hasPrefix("$") {
            reader.log.add(reader.file, line: entry.line(of: "topic"), "notifications.mqtt: '\(topic)' must be a plain topic prefix (no '+', '#' or leading '$')")
            return nil
        }
        return MQTTAlertSettings(name: entry.text("name") ?? "mqtt", topic: topic, timeout: entry.integer("timeout", in: 1...300, unit: "seconds") ?? 10)
    }

    /// `notifications: {email: {name: courriel, host: 127.0.0.1, port: 25, from: "…", to: ["…"], timeout: 10}}`.
    private static func readEmailAlerts(_ top: YAMLMapping, reader: YAMLReader) -> EmailAlertSettings? {
        guard let section = top.mapping("notifications", context: "notifications", keys: ["webhooks", "mqtt", "email"]),
              let entry = section.mapping("email", context: "notifications.email", keys: ["name", "host", "port", "from", "to", "timeout"])
        else { return nil }
        let host = entry.text("host", required: true, hint: "the SMTP relay, e.g. host: 127.0.0.1")
        let from = entry.text("from", required: true, hint: "the sender address, e.g. from: pmc-gateway@mairie-exemple.fr")
        let to = entry.textList("to") ?? []
        if to.isEmpty {
            reader.log.add(reader.file, line: entry.line, "notifications.email needs 'to', the agents' addresses, e.g. to: [technique@mairie-exemple.fr]")
        }
        guard let host, let from, !to.isEmpty else { return nil }
        for address in [from] + to where !address.contains("@") || address.contains(" ") || address.contains("<") {
            reader.log.add(reader.file, line: entry.line(of: address == from ? "from" : "to"), "notifications.email: '\(address)' is not an e-mail address")
            return nil
        }
        return EmailAlertSettings(name: entry.text("name") ?? "courriel", host: host,
                                  port: entry.integer("port", in: 1...65_535, unit: "") ?? 25, from: from, to: to,
                                  timeout: entry.integer("timeout", in: 1...300, unit: "seconds") ?? 10)
    }

    /// `notifications: {webhooks: [{name: astreinte, url: "https://…", timeout: 10}]}`.
    private static func readWebhooks(_ top: YAMLMapping, reader: YAMLReader) -> [WebhookSettings] {
        guard let section = top.mapping("notifications", context: "notifications", keys: ["webhooks", "mqtt", "email"]) else { return [] }
        var webhooks: [WebhookSettings] = []
        for (index, node) in (section.list("webhooks") ?? []).enumerated() {
            let context = YAMLReader.entryName("webhook", key: "name", in: node, index: index)
            guard let entry = reader.mapping(node, context, keys: ["name", "url", "timeout"]),
                  let name = entry.text("name", required: true, hint: "names the channel in the logs, e.g. name: astreinte"),
                  let url = entry.text("url", required: true) else { continue }
            guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                  !(parsed.host ?? "").isEmpty else {
                reader.log.add(reader.file, line: entry.line(of: "url"), "\(context): '\(url)' is not an http:// or https:// URL with a host")
                continue
            }
            if webhooks.contains(where: { $0.name == name }) {
                reader.log.add(reader.file, line: entry.line(of: "name"), "\(context): another webhook is already named '\(name)'")
                continue
            }
            webhooks.append(WebhookSettings(name: name, url: url, timeout: entry.integer("timeout", in: 1...300, unit: "seconds") ?? 10))
        }
        return webhooks
    }

    private static func readStorage(_ top: YAMLMapping, directory: String, reader: YAMLReader) -> StorageSettings {
        let keys = ["database", "journal", "sync_journal", "rejected_payload_limit", "retention", "disk_budget_mb"]
        let section = top.mapping("storage", context: "storage", keys: keys)
        var storage = StorageSettings(database: FilePaths.resolve("var/pmc.sqlite", relativeTo: directory),
                                      journal: FilePaths.resolve("var/journal", relativeTo: directory))
        guard let section else { return storage }
        if let database = section.text("database") { storage.database = FilePaths.resolve(database, relativeTo: directory) }
        if let journal = section.text("journal") { storage.journal = FilePaths.resolve(journal, relativeTo: directory) }
        if let sync = section.boolean("sync_journal") { storage.syncJournal = sync }
        if let limit = section.integer("rejected_payload_limit", in: 0...16_777_216, unit: "bytes") { storage.rejectedPayloadLimit = limit }
        if let budget = section.integer("disk_budget_mb", in: 16...100_000_000, unit: "MiB") { storage.diskBudgetMB = budget }
        if let retention = section.mapping("retention", context: "storage.retention",
                                           keys: ["raw_days", "hourly_days", "daily_days", "monthly_days", "rejected_days"]) {
            let days = 0...36_600
            if let value = retention.integer("raw_days", in: days, unit: "days") { storage.retention.rawDays = value }
            if let value = retention.integer("hourly_days", in: days, unit: "days") { storage.retention.hourlyDays = value }
            if let value = retention.integer("daily_days", in: days, unit: "days") { storage.retention.dailyDays = value }
            if let value = retention.integer("rejected_days", in: days, unit: "days") { storage.retention.rejectedDays = value }
            if let value = retention.integer("monthly_days", in: days, unit: "days") {
                if value != 0 && value < RetentionPolicy.minimumMonthlyDays {
                    reader.log.add(reader.file, line: retention.line(of: "monthly_days"),
                                   "monthly_days \(value) is shorter than 5 years: monthly energy values must be kept at least \(RetentionPolicy.minimumMonthlyDays) days (décret BACS); use 0 to keep them forever")
                } else {
                    storage.retention.monthlyDays = value
                }
            }
        }
        return storage
    }
}
