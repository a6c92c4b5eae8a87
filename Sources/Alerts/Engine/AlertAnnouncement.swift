import Logging

extension Logger {
    /// Tells the log that an alert opened, was escalated or resolved, in French (the agents' words), with its ids as metadata.
    /// Under a maintenance the log says the change was not notified, and why.
    func announce(_ alert: Alert, underMaintenance period: MaintenanceCalendar.Period? = nil) {
        var metadata: Logger.Metadata = ["alert": "\(alert.id)", "asset": "\(alert.assetID)", "rule": "\(alert.ruleID)",
                                         "severity": "\(alert.severity.rawValue)"]
        if let period {
            metadata["maintenance"] = "\(period.reason ?? "maintenance")"
            notice("alerte en maintenance, non notifiée : \(alert.state == .resolved ? alert.resolution?.comment ?? "" : alert.message)",
                   metadata: metadata)
            return
        }
        if let escalated = alert.escalatedAt, alert.state == .open {
            error("alerte non prise en charge depuis \(AlertText.interval(Int((escalated - alert.raisedAt) / 1000))) : \(alert.message)",
                  metadata: metadata)
        } else if alert.state == .resolved {
            notice("alerte résolue : \(alert.resolution?.comment ?? "")", metadata: metadata)
        } else {
            warning("alerte ouverte : \(alert.message)", metadata: metadata)
        }
    }
}
