import Foundation
@testable import Assets

/// Paths and helpers shared by the Assets tests.
enum TestSupport {
    /// The payload formats and their option keys, as `PayloadFormat` declares them in the Ingest module.
    static let formats: [String: Set<String>] = [
        "chirpstack-v4": [], "chirpstack-v3": [], "tts-v3": [], "thingpark": [],
        "zigbee2mqtt": ["base_topic"],
        "tasmota": ["full_topic"],
        "shelly": ["device"],
        "senml": ["device"],
        "json": ["device", "device_path", "time_path", "fields", "prefix"],
        "value": ["device", "field", "unit"],
    ]

    /// A fixture file or folder, e.g. `fixture("config/valid.yaml")`.
    static func fixture(_ relativePath: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(relativePath)").standardizedFileURL.path
    }

    /// The package's root folder (for `devices/` and `examples/`).
    static func packageRoot(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath)
            .deletingLastPathComponent() // AssetsTests
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent()
    }

    /// A fresh temporary folder holding the given files (relative path → contents).
    static func folder(_ files: [String: String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pmc-assets-tests-\(UUID().uuidString)", isDirectory: true)
        for (path, contents) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
        return directory.standardizedFileURL.path
    }

    /// The issues a throwing load reports (empty when it succeeds).
    static func issues<T>(_ load: () throws -> T) -> [ValidationIssue] {
        do {
            _ = try load()
            return []
        } catch let failure as ValidationFailed {
            return failure.issues
        } catch {
            return [ValidationIssue(file: "?", line: nil, message: "unexpected error \(error)")]
        }
    }

    /// A minimal valid configuration body to which a test adds the section it exercises.
    static let baseConfig = """
        commune: {name: Test}
        subscriptions:
          - {topic: "tele/+/SENSOR", format: tasmota}
        inventory: inventory.yaml

        """
}

extension Array where Element == ValidationIssue {
    /// The issues whose message contains `text`.
    func containing(_ text: String) -> [ValidationIssue] {
        filter { $0.message.contains(text) }
    }
}
