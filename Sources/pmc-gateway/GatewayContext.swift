import ArgumentParser
import Assets
import Foundation
import Ingest
import Logging
import Storage
import SQLiteDB

/// Options shared by every command that reads the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The gateway configuration file (YAML).")
    var config: String = "examples/config.yaml"
}

/// Loading the configuration, profiles and inventory, with errors a commune's technician can act on.
enum GatewayContext {
    /// Format names with their option keys, as the configuration checker needs them.
    static var formats: [String: Set<String>] {
        Dictionary(uniqueKeysWithValues: PayloadFormat.allCases.map { ($0.rawValue, $0.optionKeys) })
    }

    static func loadConfig(_ path: String) throws -> GatewayConfig {
        do {
            return try ConfigLoader.load(path: path, formats: formats)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Configuration, profiles, inventory and alert rules, cross-checked; `consequence` ends the error's first line.
    static func loadSetup(_ path: String, consequence: String = "") throws -> GatewaySetup {
        do {
            return try Checker.load(configPath: path, formats: formats)
        } catch {
            throw ValidationError("the configuration has errors\(consequence):\n\(error)")
        }
    }

    static func openDatabase(_ config: GatewayConfig) throws -> Connection {
        guard FileManager.default.fileExists(atPath: config.storage.database) else {
            throw ValidationError("no database at \(config.storage.database) yet: start the gateway once with `pmc-gateway run --config \(config.path)`")
        }
        return try Schema.openForReading(path: config.storage.database)
    }

    static func bootstrapLogging(level: String) {
        let parsed = Logger.Level(rawValue: level.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
    }

    static func timeZone(_ config: GatewayConfig) -> TimeZone {
        TimeZone(identifier: config.commune.timeZone) ?? TimeZone(identifier: "Europe/Paris")!
    }

    /// Parses `2026-01-31`, `2026-01-31T08:00`, RFC 3339 or epoch seconds/ms, local times in the commune's zone.
    static func parseTime(_ text: String?, timeZone: TimeZone, option: String) throws -> Int64? {
        guard let text else { return nil }
        guard let ms = TimestampParser.milliseconds(from: text, timeZone: timeZone) else {
            throw ValidationError("\(option) '\(text)' is not a date: use 2026-01-31, 2026-01-31T08:00 or 2026-01-31T08:00:00+01:00")
        }
        return ms
    }

    static func iso(_ ms: Int64?, timeZone: TimeZone) -> String {
        guard let ms else { return "" }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}

/// Output format for listing commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

extension Encodable {
    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// Quotes a CSV cell when it needs it (RFC 4180).
func csvCell(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
