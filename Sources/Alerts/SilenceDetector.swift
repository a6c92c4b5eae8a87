import Assets
import Storage

/// A declared device that stopped reporting.
public struct SilentDevice: Sendable, Equatable {
    public var deviceKey: String
    public var asset: String?
    public var profile: String
    /// Last time anything was heard from it (ms since the epoch); `nil` if never.
    public var lastSeen: Int64?
    /// The reporting interval its profile expects, in seconds.
    public var expectedInterval: Int
    /// Whole reporting intervals elapsed since it was last heard from.
    public var missedReports: Int
}

/// Finds devices silent for longer than their own profile allows: a street-light node reporting every
/// 15 min and a Linky reader reporting every minute are judged against their own interval, not one timeout.
public struct SilenceDetector: Sendable {
    /// A device is silent once it has missed this many consecutive reports.
    public var missedReportsThreshold: Int

    public init(missedReportsThreshold: Int = 3) {
        self.missedReportsThreshold = missedReportsThreshold
    }

    /// Declared devices (with a profile) that missed at least `missedReportsThreshold` reports at `now`.
    /// A device never heard from counts from `since` (the gateway's start), so a freshly installed
    /// gateway does not report the whole inventory at once.
    public func silentDevices(now: Int64, since: Int64, devices: [DeviceRow], profiles: [String: DeviceProfile]) -> [SilentDevice] {
        devices.compactMap { device in
            guard let profileID = device.profile, let profile = profiles[profileID], profile.reportingInterval > 0 else { return nil }
            let reference = device.lastSeen ?? since
            let intervalMs = Int64(profile.reportingInterval) * 1000
            let missed = Int(max(0, now - reference) / intervalMs)
            guard missed >= missedReportsThreshold else { return nil }
            return SilentDevice(deviceKey: device.key, asset: device.asset, profile: profileID, lastSeen: device.lastSeen,
                                expectedInterval: profile.reportingInterval, missedReports: missed)
        }
    }
}
