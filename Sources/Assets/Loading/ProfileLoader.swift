import Foundation
import Yams

/// Loads device profiles: one YAML file per device model (`*.yaml` or `*.yml`) in each profiles folder.
///
/// A profile names the fields a device sends and the metric, unit and kind each becomes. Checked: known
/// units (`Units.definition`), valid kinds (a counter needs a cumulative unit), unique metric names within a
/// profile, unique profile ids across all files, a parseable `reporting_interval`, numeric `states` values
/// and, when formats are given, known format names.
public enum ProfileLoader {
    static let profileKeys = ["id", "name", "manufacturer", "category", "formats", "reporting_interval", "metrics"]
    static let metricKeys = ["field", "metric", "unit", "kind", "scale", "states"]
    /// Quantities whose values accumulate, so that a `counter` makes sense.
    static let cumulativeQuantities: Set<Quantity> = [.energy, .volume, .count, .duration, .mass]
    static let identifierPattern = "^[a-z0-9][a-z0-9_.-]*$"
    static let snakeCasePattern = "^[a-z][a-z0-9_]*$"

    /// Loads every profile in `directories`, keyed by profile id.
    ///
    /// - Parameters:
    ///   - directories: folders of profile files, relative to the current directory when not absolute.
    ///   - formats: when given, the payload format names a profile's `formats` may list.
    /// - Throws: `ValidationFailed` with every issue found.
    public static func load(directories: [String], formats: [String: Set<String>]? = nil) throws -> [String: DeviceProfile] {
        let log = IssueLog()
        let catalog = read(directories: directories, formats: formats, log: log)
        try log.throwIfAny()
        return catalog.profiles
    }

    /// The profiles that loaded, and every profile id declared (including those of invalid profiles).
    struct Catalog {
        var profiles: [String: DeviceProfile] = [:]
        var declaredIDs: Set<String> = []
    }

    static func read(directories: [String], formats: [String: Set<String>]?, log: IssueLog) -> Catalog {
        var catalog = Catalog()
        var locations: [String: SourceLocation] = [:]
        for directory in directories.map({ FilePaths.resolve($0) }) {
            for file in profileFiles(in: directory, log: log) {
                guard let (profile, id, location) = readProfile(file, formats: formats, log: log) else { continue }
                if let first = locations[id] {
                    log.add(location, "duplicate profile id '\(id)': already declared at \(first); each profile needs its own id")
                    continue
                }
                locations[id] = location
                catalog.declaredIDs.insert(id)
                if let profile { catalog.profiles[id] = profile }
            }
        }
        return catalog
    }

    /// The YAML files of a folder, sorted by name.
    private static func profileFiles(in directory: String, log: IssueLog) -> [String] {
        guard FilePaths.isDirectory(directory) else {
            log.add(directory, line: nil, "profiles folder not found: set 'profiles' in the configuration to the folder of device profiles")
            return []
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// One profile file: the profile when valid, and its id and location when it has one.
    private static func readProfile(_ file: String, formats: [String: Set<String>]?, log: IssueLog)
        -> (profile: DeviceProfile?, id: String, location: SourceLocation)? {
        guard let root = YAMLDocument.load(file, what: "profile file", log: log) else { return nil }
        let reader = YAMLReader(file: file, log: log)
        guard let top = reader.mapping(root, "the profile", keys: profileKeys) else { return nil }
        let before = log.count

        let id = top.text("id", required: true, hint: "a unique identifier such as dragino-lht65")
        if let id, id.range(of: identifierPattern, options: .regularExpression) == nil {
            log.add(file, line: top.line(of: "id"), "profile id '\(id)' must use lowercase letters, digits, '-', '_' or '.' (e.g. dragino-lht65)")
        }
        let name = top.text("name", required: true, hint: "the device's name, e.g. \"Dragino LHT65 — temperature and humidity\"")
        let category = top.text("category", required: true, hint: "what the device is for, e.g. room_sensor or electricity_meter")
        if let category, category.range(of: snakeCasePattern, options: .regularExpression) == nil {
            log.add(file, line: top.line(of: "category"), "category '\(category)' must be lowercase snake_case, e.g. street_light_controller")
        }
        let profileFormats = readFormats(top, known: formats, reader: reader)
        let interval = readInterval(top, reader: reader)
        let metrics = readMetrics(top, reader: reader)

        guard let id else { return nil }
        let location = SourceLocation(file: file, line: top.line(of: "id"))
        guard log.count == before, let name, let category, let interval else { return (nil, id, location) }
        let profile = DeviceProfile(id: id, name: name, manufacturer: top.text("manufacturer"), category: category,
                                    formats: profileFormats, reportingInterval: interval, metrics: metrics)
        return (profile, id, location)
    }

    private static func readFormats(_ top: YAMLMapping, known: [String: Set<String>]?, reader: YAMLReader) -> [String] {
        let formats = top.textList("formats") ?? []
        if let known {
            for format in formats where known[format] == nil {
                reader.log.add(reader.file, line: top.line(of: "formats"), Suggestions.unknown("format", format, expected: known.keys.sorted()))
            }
        }
        return formats
    }

    private static func readInterval(_ top: YAMLMapping, reader: YAMLReader) -> Int? {
        guard let text = top.text("reporting_interval", required: true, hint: "how often the device reports, e.g. 10m, 1h or 900") else { return nil }
        guard let seconds = Durations.seconds(text), seconds > 0 else {
            reader.log.add(reader.file, line: top.line(of: "reporting_interval"),
                           "invalid reporting_interval '\(text)': write a positive duration such as 90s, 20m, 1h, 1d, 1h30m or a number of seconds")
            return nil
        }
        return seconds
    }
}
