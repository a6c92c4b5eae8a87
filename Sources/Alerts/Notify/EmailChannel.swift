import Foundation

/// Sends each change of an alert by e-mail, in French, through the commune's SMTP relay: the subject says what
/// happened and where, the body the alert's message, since when, and who acted.
public struct EmailChannel: NotificationChannel {
    public let name: String
    let client: SMTPClient
    let sender: String
    let recipients: [String]
    /// The on-call agents answering for the asset, added to `recipients`.
    let router: AlertRouter?

    public init(name: String, host: String, port: Int = 25, from sender: String, to recipients: [String], timeout: TimeInterval = 10,
                router: AlertRouter? = nil) {
        self.router = router
        self.name = name
        self.client = SMTPClient(host: host, port: port, timeout: timeout, clientName: ProcessInfo.processInfo.hostName)
        self.sender = sender
        self.recipients = recipients
    }

    public func deliver(_ notification: AlertNotification) throws {
        let to = addresses(notification)
        try client.send(from: sender, to: to, message: Array(message(notification, date: Date(), to: to).utf8))
    }

    /// The channel's addresses, then those of the on-call agents for the asset at the time of the change.
    func addresses(_ notification: AlertNotification) -> [String] {
        let alert = notification.alert
        let time = switch notification.event {
        case .opened: alert.raisedAt
        case .acknowledged: alert.acknowledgement?.at ?? alert.raisedAt
        case .resolved: alert.resolution?.at ?? alert.raisedAt
        case .escalated: alert.escalatedAt ?? alert.raisedAt
        }
        var all = recipients
        for agent in router?.agents(for: alert.assetID, at: time) ?? [] {
            if let email = agent.email, !all.contains(email) { all.append(email) }
        }
        return all
    }

    static let events: [AlertStore.Event: String] = [.opened: "Alerte ouverte", .acknowledged: "Alerte prise en charge",
                                                      .resolved: "Alerte résolue", .escalated: "Alerte non prise en charge"]
    static let severities: [AlertSeverity: String] = [.info: "information", .warning: "avertissement", .critical: "critique"]

    /// The whole message (headers and body, base64 in UTF-8).
    func message(_ notification: AlertNotification, date: Date, to: [String]? = nil) -> String {
        let alert = notification.alert
        let event = Self.events[notification.event] ?? notification.event.rawValue
        let subject = "[\(notification.commune)] \(event) — \(alert.assetID) : \(alert.ruleID)"
        var lines = ["\(event) (\(Self.severities[alert.severity] ?? alert.severity.rawValue)) — \(notification.commune)", "", alert.message, "",
                     "Actif : \(alert.assetID)", "Règle : \(alert.ruleID)", "Depuis le : \(AlertText.dateTime(alert.since))"]
        if let done = alert.acknowledgement {
            lines.append("Prise en charge le \(AlertText.dateTime(done.at)) par \(done.by ?? "?")" + (done.comment.map { " : \($0)" } ?? ""))
        }
        if let done = alert.resolution {
            lines.append("Résolue le \(AlertText.dateTime(done.at))" + (done.by.map { " par \($0)" } ?? " (retour à la normale)")
                + (done.comment.map { " : \($0)" } ?? ""))
        }
        lines += ["", "Alerte n° \(alert.id) — pmc-gateway"]
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let body = Data(lines.joined(separator: "\r\n").utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return [
            "From: pmc-gateway <\(sender)>",
            "To: \((to ?? recipients).joined(separator: ", "))",
            "Subject: =?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?=",
            "Date: \(formatter.string(from: date))",
            "Message-ID: <alerte-\(alert.id)-\(notification.event.rawValue)-\(Int64(date.timeIntervalSince1970 * 1000))@pmc-gateway>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
            body,
        ].joined(separator: "\r\n")
    }
}
