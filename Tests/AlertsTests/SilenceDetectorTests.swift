import Assets
import Storage
import Testing
@testable import Alerts

struct SilenceDetectorTests {
    let profiles = [
        "linky": DeviceProfile(id: "linky", name: "Linky", category: "electricity_meter", reportingInterval: 60, metrics: []),
        "lamp": DeviceProfile(id: "lamp", name: "Nœud D4i", category: "street_light_controller", reportingInterval: 900, metrics: []),
    ]
    let now: Int64 = 1_763_631_000_000

    func device(_ key: String, profile: String?, lastSeen: Int64?) -> DeviceRow {
        DeviceRow(key: key, name: nil, profile: profile, asset: "A", declared: profile != nil, firstSeen: nil, lastSeen: lastSeen,
                  messageCount: 1, pendingMessages: 0, status: nil, statusAt: nil, unmappedFields: nil)
    }

    @Test("each device is judged against its own profile's reporting interval")
    func ownInterval() {
        let tenMinutesAgo = now - 600_000
        let silent = SilenceDetector().silentDevices(now: now, since: now - 86_400_000, devices: [
            device("linky-mairie", profile: "linky", lastSeen: tenMinutesAgo),  // 10 missed 1-min reports
            device("lampe-12", profile: "lamp", lastSeen: tenMinutesAgo),       // not even one 15-min report missed
        ], profiles: profiles)
        #expect(silent.map(\.deviceKey) == ["linky-mairie"])
        #expect(silent.first?.missedReports == 10)
        #expect(silent.first?.expectedInterval == 60)
    }

    @Test("pending devices are not judged; never-seen devices count from the gateway's start")
    func pendingAndNeverSeen() {
        let silent = SilenceDetector().silentDevices(now: now, since: now - 120_000, devices: [
            device("inconnu", profile: nil, lastSeen: now - 86_400_000),
            device("linky-neuf", profile: "linky", lastSeen: nil),            // 2 min since start: 2 missed, below 3
            device("lampe-neuve", profile: "lamp", lastSeen: nil),
        ], profiles: profiles)
        #expect(silent.isEmpty)
        let later = SilenceDetector().silentDevices(now: now + 60_000, since: now - 120_000,
                                                    devices: [device("linky-neuf", profile: "linky", lastSeen: nil)], profiles: profiles)
        #expect(later.map(\.missedReports) == [3])
    }

    @Test("the threshold is a number of consecutive missed reports")
    func threshold() {
        let devices = [device("linky", profile: "linky", lastSeen: now - 179_999)]
        #expect(SilenceDetector(missedReportsThreshold: 3).silentDevices(now: now, since: 0, devices: devices, profiles: profiles).isEmpty)
        #expect(SilenceDetector(missedReportsThreshold: 2).silentDevices(now: now, since: 0, devices: devices, profiles: profiles).count == 1)
    }
}
