import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The durability contract, proven by counting: a reading acknowledged to the broker is stored, whatever
/// instant the gateway is killed at, and a redelivered message is not stored twice.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct DurabilityTests {
    /// Publishes `count` messages, alternating a format with its own timestamps (ChirpStack) and one whose
    /// readings take the receive time (Zigbee2MQTT), so that both kinds of duplicate would show.
    static func publishLoad(_ publisher: TestPublisher, count: Int, devices: Int, offset: Int = 0) throws {
        for index in offset..<(offset + count) {
            let device = index % devices
            if index % 2 == 0 {
                let eui = String(format: "70b3d57ed00%05x", device)
                let time = SequencedLoad.baseTime + Int64(index) * 1000 // recent: older raw readings are purged
                try publisher.publish("application/app/device/\(eui)/event/up", """
                    {"time":"\(iso8601(milliseconds: time))","deviceInfo":{"devEui":"\(eui)","deviceName":"s\(device)"},"fCnt":\(index),"object":{"seq":\(index)},"rxInfo":[{"rssi":-90,"snr":5}]}
                    """)
            } else {
                try publisher.publish("zigbee2mqtt/room_\(device)", #"{"seq":\#(index),"linkquality":100}"#)
            }
        }
    }

    static func iso8601(milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func inventory(devices: Int) -> String {
        var lines = ["assets:", "  - {id: ECOLE, name: École, type: building, domain: batiments}", "devices:"]
        for device in 0..<devices {
            lines.append(#"  - {id: "\#(String(format: "70b3d57ed00%05x", device))", profile: test-room-sensor, asset: ECOLE}"#)
            lines.append(#"  - {id: "room_\#(device)", profile: test-room-sensor, asset: ECOLE}"#)
        }
        return lines.joined(separator: "\n")
    }

    static let sequenceCount = "SELECT count(*) FROM readings r JOIN series s ON s.id = r.series_id WHERE s.metric = 'sequence'"
    static let distinctSequences = "SELECT count(DISTINCT r.value) FROM readings r JOIN series s ON s.id = r.series_id WHERE s.metric = 'sequence'"

    // SIGKILL at random instants under load: see `FaultTests.twentySigkillsUnderLoad` (20 kills, counted
    // sequence by sequence), which replaced the 5-kill test that was here.

    @Test("broker restarted under load: the gateway reconnects and nothing is lost")
    func brokerRestartLosesNothing() throws {
        let total = 3_000
        let devices = 20
        let fixture = try GatewayFixture(name: "broker", subscriptions: TestProfiles.subscriptions,
                                         inventory: Self.inventory(devices: devices), profiles: TestProfiles.all)
        try fixture.startGateway()
        for round in 0..<3 {
            let publisher = try TestPublisher(port: fixture.broker.port)
            try Self.publishLoad(publisher, count: total / 3, devices: devices, offset: round * total / 3)
            try publisher.waitForAcknowledgements(total / 3, timeout: 120)
            // Restart while the gateway may still be draining what the broker queued for it.
            try fixture.broker.restart()
        }
        try eventually(timeout: 120, "\(total) readings stored (have \(fixture.count(Self.sequenceCount)))") {
            fixture.count(Self.sequenceCount) >= total
        }
        #expect(fixture.count(Self.sequenceCount) == total)
        #expect(fixture.count(Self.distinctSequences) == total)
        #expect(fixture.gateway?.isRunning == true)
    }

    @Test("gateway stopped while devices publish: the broker queues, the backlog drains at restart")
    func backlogDrainsAfterRestart() throws {
        let total = 4_000
        let devices = 40
        let fixture = try GatewayFixture(name: "backlog", subscriptions: TestProfiles.subscriptions,
                                         inventory: Self.inventory(devices: devices), profiles: TestProfiles.all)
        try fixture.startGateway()
        try fixture.stopGateway()
        let publisher = try TestPublisher(port: fixture.broker.port)
        try Self.publishLoad(publisher, count: total, devices: devices)
        try publisher.waitForAcknowledgements(total, timeout: 120)
        try fixture.startGateway()
        try eventually(timeout: 120, "backlog of \(total) drained (have \(fixture.count(Self.sequenceCount)))") {
            fixture.count(Self.sequenceCount) >= total
        }
        #expect(fixture.count(Self.sequenceCount) == total)
    }
}
