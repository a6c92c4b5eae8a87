import Assets
import Foundation
import SQLiteDB
import Storage

/// Devices that stopped reporting, as alerts: one per asset whose device missed `missedReports` reports of its
/// own profile's interval (rule `silence`); folded into one alert on the parent (rule `silence-enfants`) when every
/// monitored asset under it is silent — a control cabinet off, or the LoRaWAN gateway its nodes depend on, rather
/// than forty broken light points. An alert resolves itself when its devices report again.
public struct SilenceMonitor {
    public static let assetRuleID = "silence"
    public static let parentRuleID = "silence-enfants"

    let rule: SilenceRule
    let assets: [String: Asset]
    let profiles: [String: DeviceProfile]
    let timeZone: TimeZone

    /// Assets under maintenance: their silence alerts are stored but not notified.
    let maintenance: MaintenanceCalendar?

    public init(rule: SilenceRule, assets: [Asset], profiles: [String: DeviceProfile], timeZone: TimeZone, maintenance: MaintenanceCalendar? = nil) {
        self.maintenance = maintenance
        self.rule = rule
        self.assets = Dictionary(assets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.profiles = profiles
        self.timeZone = timeZone
    }

    /// Raises and resolves silence alerts as things stand at `now` (devices never heard from count from `since`,
    /// the gateway's start). Returns the alerts opened or resolved.
    public func evaluate(db: Connection, channels: [String], now: Int64, since: Int64) throws -> [Alert] {
        let store = AlertStore(connection: db, channels: channels, maintenance: maintenance)
        let devices = try GatewayQueries(connection: db).devices().filter { device in
            guard let profile = device.profile.flatMap({ profiles[$0] }), device.asset != nil else { return false }
            return profile.reportingInterval > 0
        }
        let silent = SilenceDetector(missedReportsThreshold: rule.missedReports)
            .silentDevices(now: now, since: since, devices: devices, profiles: profiles)
        let silentByAsset = Dictionary(grouping: silent, by: { $0.asset ?? "" })
        let monitoredAssets = Set(devices.compactMap(\.asset))
        // An asset is silent when all of its monitored devices are.
        let devicesByAsset = Dictionary(grouping: devices, by: { $0.asset ?? "" })
        let silentAssets = Set(silentByAsset.keys.filter { silentByAsset[$0]?.count == devicesByAsset[$0]?.count })

        var folded: [String: [String]] = [:]   // parent → its silent children
        if rule.foldIntoParent {
            let children = Dictionary(grouping: monitoredAssets.compactMap { assets[$0] }.filter { $0.parent != nil }, by: { $0.parent! })
            for (parent, members) in children where members.count >= 2 && members.allSatisfy({ silentAssets.contains($0.id) }) {
                folded[parent] = members.map(\.id).sorted()
            }
        }
        let foldedChildren = Set(folded.values.joined())
        var changes: [Alert] = []
        let severity = AlertSeverity(rawValue: rule.severity) ?? .warning

        for (parent, children) in folded.sorted(by: { $0.key < $1.key }) {
            let lastSeen = children.flatMap { silentByAsset[$0] ?? [] }.compactMap(\.lastSeen).max()
            let cause = AlertCause(assetID: parent, ruleID: Self.parentRuleID, severity: severity, since: lastSeen ?? since, raisedAt: now,
                                   value: Double(children.count), message: parentMessage(parent, children: children, lastSeen: lastSeen))
            if let alert = try store.raise(cause) { changes.append(alert) }
        }
        for (assetID, silentDevices) in silentByAsset.sorted(by: { $0.key < $1.key })
        where silentAssets.contains(assetID) && !foldedChildren.contains(assetID) {
            let device = silentDevices.max { ($0.lastSeen ?? 0) < ($1.lastSeen ?? 0) }!
            let cause = AlertCause(assetID: assetID, ruleID: Self.assetRuleID, severity: severity, since: device.lastSeen ?? since,
                                   raisedAt: now, value: Double(device.missedReports), threshold: Double(rule.missedReports),
                                   message: assetMessage(assetID, device: device))
            if let alert = try store.raise(cause) { changes.append(alert) }
        }
        // Alerts whose silence is over, or now part of its parent's.
        for alert in try store.alerts() where alert.ruleID == Self.assetRuleID || alert.ruleID == Self.parentRuleID {
            let stillOn = alert.ruleID == Self.parentRuleID
                ? folded[alert.assetID] != nil
                : silentAssets.contains(alert.assetID) && !foldedChildren.contains(alert.assetID)
            guard !stillOn else { continue }
            let comment = alert.ruleID == Self.assetRuleID && foldedChildren.contains(alert.assetID)
                ? "Regroupée dans l'alerte de \(assets[alert.assetID]?.parent.flatMap { assets[$0]?.name } ?? "l'actif parent")."
                : "Les équipements émettent de nouveau."
            if let resolved = try store.resolveCleared(assetID: alert.assetID, ruleID: alert.ruleID, at: now, comment: comment) {
                changes.append(resolved)
            }
        }
        return changes
    }

    /// « Capteur silencieux — Classe de CP (2 rue des Écoles) : a84041000181c0b2 n'a rien envoyé depuis le 12/01/2026
    /// 09:05 (6 relevés manqués ; un relevé attendu toutes les 10 min). »
    func assetMessage(_ assetID: String, device: SilentDevice) -> String {
        var place = assets[assetID]?.name ?? assetID
        if let address = assets[assetID]?.address { place += " (\(address))" }
        let when = device.lastSeen.map { "depuis le \(AlertText.dateTime($0, timeZone: timeZone))" } ?? "depuis le démarrage de la passerelle"
        return "Équipement silencieux — \(place) : \(device.deviceKey) n'a rien envoyé \(when) (\(device.missedReports) relevés manqués ; "
            + "un relevé attendu toutes les \(AlertText.interval(device.expectedInterval)))."
    }

    func parentMessage(_ parentID: String, children: [String], lastSeen: Int64?) -> String {
        let parent = assets[parentID]
        var place = parent?.name ?? parentID
        if let address = parent?.address { place += " (\(address))" }
        let when = lastSeen.map { "depuis le \(AlertText.dateTime($0, timeZone: timeZone))" } ?? "depuis le démarrage de la passerelle"
        let kind = parent?.type == .controlCabinet ? "l'armoire est-elle alimentée, la passerelle LoRaWAN joignable ?"
            : "coupure d'alimentation ou de passerelle probable"
        return "Tous les équipements sous \(place) sont silencieux (\(children.count) actifs) \(when) : \(kind)"
    }
}
