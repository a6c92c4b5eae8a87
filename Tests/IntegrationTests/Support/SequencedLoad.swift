import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Numbered messages for counting tests: message `i` carries `seq = i`, stored as a reading of the metric
/// `sequence`, so that what is stored can be compared number by number with what the broker acknowledged.
///
/// Even numbers are ChirpStack v4 uplinks with their own measurement time (a duplicate would be refused by the
/// `(series, time)` key, and counted as `readings_duplicate`); odd numbers are Zigbee2MQTT messages without a
/// time, whose readings take the receive time (a duplicate would be stored twice). Message `i` comes from
/// device `i % devices`; with an even device count each device always uses the same format.
enum SequencedLoad {
    static func eui(_ device: Int) -> String { String(format: "70b3d57ed00%05x", device) }

    /// The measurement time of message 0: a day before the test run (whole seconds), so that readings are
    /// recent whatever the date (raw readings older than the retention period are purged) and never ahead.
    static let baseTime: Int64 = (Int64(Date().timeIntervalSince1970) - 86_400) * 1000

    /// `padding` adds an unmapped field of that many bytes (bigger messages fill a disk or a queue faster).
    static func message(_ index: Int, devices: Int, padding: Int = 0) -> (topic: String, payload: [UInt8]) {
        let device = index % devices
        let pad = padding > 0 ? #","pad":"\#(String(repeating: "x", count: padding))""# : ""
        if index % 2 == 0 {
            let time = baseTime + Int64(index) * 1000
            let payload = """
                {"time":"\(DurabilityTests.iso8601(milliseconds: time))","deviceInfo":{"devEui":"\(eui(device))","deviceName":"s\(device)"},"fCnt":\(index),"object":{"seq":\(index)\(pad)},"rxInfo":[{"rssi":-90,"snr":5}]}
                """
            return ("application/app/device/\(eui(device))/event/up", Array(payload.utf8))
        }
        return ("zigbee2mqtt/room_\(device)", Array(#"{"seq":\#(index),"linkquality":100\#(pad)}"#.utf8))
    }

    /// The inventory declaring exactly the devices `message` uses (`devices` must be even).
    static func inventory(devices: Int) -> String {
        precondition(devices % 2 == 0, "an even device count keeps one format per device")
        var lines = ["assets:", "  - {id: ECOLE, name: École, type: building, domain: batiments}", "devices:"]
        for device in 0..<devices {
            let id = device % 2 == 0 ? eui(device) : "room_\(device)"
            lines.append(#"  - {id: "\#(id)", profile: test-room-sensor, asset: ECOLE}"#)
        }
        return lines.joined(separator: "\n")
    }

    /// What went wrong between `expected` sequence numbers and `stored` (sequence → readings).
    struct Comparison: CustomStringConvertible {
        var missing: [Int]
        var duplicated: [Int]
        var unexpected: [Int]
        var isExact: Bool { missing.isEmpty && duplicated.isEmpty && unexpected.isEmpty }
        var description: String {
            func some(_ values: [Int]) -> String {
                "\(values.count)" + (values.isEmpty ? "" : " (first: \(values.prefix(12).map(String.init).joined(separator: ", ")))")
            }
            return "missing \(some(missing)), stored twice or more \(some(duplicated)), never published \(some(unexpected))"
        }
    }

    static func compare(expected: Set<Int>, stored: [Int: Int], published: Set<Int>? = nil) -> Comparison {
        let allowed = published ?? expected
        return Comparison(missing: expected.filter { stored[$0] == nil }.sorted(),
                          duplicated: stored.filter { $0.value > 1 }.keys.sorted(),
                          unexpected: stored.keys.filter { !allowed.contains($0) }.sorted())
    }
}

/// Runs a system command to completion (mount, mkfs…) and returns its output; throws with the output when it
/// fails or does not finish.
@discardableResult
func runCommand(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60) throws -> String {
    let log = NSTemporaryDirectory() + "pmc-cmd-\(UUID().uuidString.prefix(8)).out"
    defer { unlink(log) }
    let process = try ChildProcess(executable: executable, arguments: arguments, logPath: log)
    guard let status = process.waitForExit(timeout: timeout) else {
        process.kill(signal: SIGKILL)
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
    }
    let output = process.log
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    guard exited, code == 0 else {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(output)")
    }
    return output
}

extension TestPublisher {
    /// Publishes message number `index` of the sequenced load, tagged with its number.
    func publishSequenced(_ index: Int, devices: Int) throws {
        let (topic, payload) = SequencedLoad.message(index, devices: devices)
        try publishBytes(topic, payload, tag: index)
    }
}
