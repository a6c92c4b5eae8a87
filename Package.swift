// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "pmc-gateway",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pmc-gateway", targets: ["pmc-gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries, as Debian ships them.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),

        // A thin Swift face over SQLite: connections, statements, typed errors, ordered migrations.
        .target(name: "SQLiteDB", dependencies: ["CSQLite"]),
        // A thin Swift face over libmosquitto: one threaded client with reconnect, TLS and credentials.
        .target(name: "MQTT", dependencies: ["CMosquitto", .product(name: "Logging", package: "swift-log")]),
        // The commune's inventory, device profiles and units: the domain model.
        .target(name: "Assets", dependencies: [
            .product(name: "Yams", package: "Yams"),
            .product(name: "SwiftCSV", package: "SwiftCSV"),
        ]),
        // The gateway's SQLite schema and stores (readings, latest values, rejected messages, counters).
        .target(name: "Storage", dependencies: ["SQLiteDB", "Assets", .product(name: "Logging", package: "swift-log")]),
        // MQTT message → journal → decode → normalise → store.
        .target(name: "Ingest", dependencies: [
            "Assets", "Storage", "MQTT",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Alert rules (for now: devices silent for longer than their own profile's reporting interval).
        .target(name: "Alerts", dependencies: ["Assets", "Storage", "SQLiteDB", "MQTT", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "pmc-gateway", dependencies: [
            "Ingest", "Assets", "Storage", "Alerts",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Benchmarks (not part of `swift test`): see Benchmarks/README.md.
        .executableTarget(name: "pmc-query-bench", dependencies: ["Storage", "Assets", "SQLiteDB"], path: "Benchmarks/QueryBench"),

        .testTarget(name: "AssetsTests", dependencies: ["Assets"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AlertsTests", dependencies: ["Alerts", "Assets", "Storage", "SQLiteDB"]),
        .testTarget(name: "SQLiteDBTests", dependencies: ["SQLiteDB"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "SQLiteDB", "Assets"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "Assets", "Storage", "MQTT", .product(name: "Logging", package: "swift-log")], resources: [.copy("Fixtures")]),
        .testTarget(name: "IntegrationTests", dependencies: ["Ingest", "Storage", "Assets", "SQLiteDB", "MQTT", "CMosquitto", "pmc-gateway"]),
    ],
    swiftLanguageModes: [.v6]
)
