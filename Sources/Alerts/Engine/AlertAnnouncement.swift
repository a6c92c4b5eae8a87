import Logging

extension Logger {
    /// Tells the log that an alert opened, was escalated or resolved, in French (the agents' words), with its ids as metadata.
    func announce(_ alert: Alert) {
        let metadata: Logger.Metadata = ["alert": "\(alert.id)", "asset": "\(alert.assetID)", "rule": "\(alert.ruleID)",
                                         "severity": "\(alert.severity.rawValue)"]
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
