import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Hostile and broken payloads on every subscribed format: the gateway never crashes, and every message
/// ends somewhere — stored, pending, ignored with a reason to, or rejected with a reason.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct BadInputTests {
    /// Topics that route to each configured subscription (see `TestProfiles.subscriptions`).
    static let topics = [
        "application/app/device/a84041000181c0b2/event/up",
        "zigbee2mqtt/salle_conseil",
        "tele/linky_mairie/SENSOR",
        "shellyplus1pm-mairie/status/switch:0",
        "senml/salle",
        "capteurs/sonde-42/data",
        "chaufferie/chaudiere/gas_index",
    ]

    static func hostilePayloads(seed: UInt64) -> [[UInt8]] {
        var generator = SeededGenerator(seed: seed)
        var payloads: [[UInt8]] = [
            [],
            Array("{".utf8),
            Array(#"{"object":{"TempC_SHT":21"#.utf8),
            Array(String(repeating: "[", count: 5_000).utf8),
            Array(String(repeating: #"{"a":"#, count: 300).utf8) + Array("1".utf8) + Array(String(repeating: "}", count: 300).utf8),
            Array(#"{"temperature":1e400}"#.utf8),
            Array(#"{"temperature":NaN,"humidity":Infinity}"#.utf8),
            Array(#"{"deviceInfo":{"devEui":42},"object":"not an object"}"#.utf8),
            Array(#"[{"bn":"x","v":"string as number"},{"n":1}]"#.utf8),
            [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], // {"<invalid UTF-8>":1}
            [0xFF, 0xFE, 0x00, 0x01],
            Array(repeating: UInt8(ascii: "9"), count: 300_000),
            Array(#"{"temperature":"vingt","humidity":[],"co2":{"v":1}}"#.utf8),
            Array("ON OFF".utf8),
            Array(#"{"ts":"yesterday","temperature":21}"#.utf8),
        ]
        for _ in 0..<25 {
            let length = Int.random(in: 1...512, using: &generator)
            payloads.append((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        return payloads
    }

    @Test("hostile payloads on every format: no crash, every message accounted for, rejections carry reasons")
    func hostilePayloadsAreAccountedFor() throws {
        let fixture = try GatewayFixture(name: "bad", subscriptions: TestProfiles.subscriptions,
                                         inventory: TestProfiles.inventory(), profiles: TestProfiles.all)
        try fixture.startGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        var published = 0
        for (index, topic) in Self.topics.enumerated() {
            for payload in Self.hostilePayloads(seed: UInt64(index + 1)) {
                try publisher.publishBytes(topic, payload)
                published += 1
            }
        }
        // A valid message last: once it is stored, everything before it has been applied (one ordered journal).
        try publisher.publish("capteurs/sonde-42/data", #"{"ts":1763631000000,"temperature":21.5}"#)
        published += 1
        try publisher.waitForAcknowledgements(published, timeout: 60)
        try eventually(timeout: 60, "the last valid message stored") {
            fixture.count("SELECT count(*) FROM readings r JOIN series s ON s.id = r.series_id WHERE s.metric = 'temperature' AND r.ts = 1763631000000") == 1
        }

        #expect(fixture.gateway?.isRunning == true)
        let counters = try fixture.query { db in
            try db.prepare("SELECT name, value FROM ingest_counters").map { ($0.string(0), $0.int(1)) }
        }.reduce(into: [String: Int64]()) { $0[$1.0] = $1.1 }
        #expect(counters["messages_received"] == Int64(published))
        let outcomes = counters.filter { $0.key.hasPrefix("outcome_") }.values.reduce(0, +)
        #expect(outcomes == Int64(published), "outcomes: \(counters)")
        let rejectedRows = fixture.count("SELECT count(*) FROM rejected_messages")
        #expect(Int64(rejectedRows) == (counters["outcome_rejected"] ?? 0) + (counters["outcome_partly_rejected"] ?? 0))
        #expect((counters["outcome_rejected"] ?? 0) > Int64(published / 2))
        #expect(fixture.count("SELECT count(*) FROM rejected_messages WHERE length(reason) < 10") == 0)
        // The oversized payload is kept capped, with its real size.
        #expect(fixture.count("SELECT count(*) FROM rejected_messages WHERE payload_size = 300000 AND length(payload) = 4096") == Self.topics.count)

        // Memory stays flat: the resident size of the gateway is far below the 150 MB budget.
        if let pid = fixture.gateway?.pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
           let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) {
            #expect(kilobytes < 150_000, "VmRSS \(kilobytes) kB")
        }
    }
}

/// A small deterministic generator (SplitMix64), so that a failing payload can be reproduced.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
