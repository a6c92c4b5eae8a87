import Foundation
import Testing
@testable import Alerts

struct EmailChannelTests {
    @Test("lines end in CR LF and a leading dot is doubled, so a line holding only '.' cannot end the message early")
    func dotStuffing() {
        #expect(String(decoding: SMTPClient.dotStuffed(Array("a\n.\n..b\r\nc".utf8)), as: UTF8.self) == "a\r\n..\r\n...b\r\nc")
    }

    @Test("the message: sender, recipients, UTF-8 subject encoded per RFC 2047, base64 French body with who acknowledged")
    func message() throws {
        let channel = EmailChannel(name: "courriel", host: "127.0.0.1", from: "pmc@mairie.fr", to: ["a@mairie.fr", "b@mairie.fr"])
        let alert = Alert(id: 7, state: .acknowledged,
                          cause: AlertCause(assetID: "ECOLE-CP", ruleID: "co2", severity: .critical, since: 1_768_204_800_000, raisedAt: 1_768_205_400_000,
                                            message: "CO₂ élevé — Classe de CP : 1 620 ppm"),
                          acknowledgement: Alert.Action(at: 1_768_206_000_000, by: "Martine", comment: "fenêtres ouvertes"))
        let text = channel.message(AlertNotification(event: .acknowledged, alert: alert, commune: "Testville"), date: Date(timeIntervalSince1970: 0))
        let (head, body) = try #require(text.range(of: "\r\n\r\n").map { (String(text[..<$0.lowerBound]), String(text[$0.upperBound...])) })
        #expect(head.contains("From: pmc-gateway <pmc@mairie.fr>\r\nTo: a@mairie.fr, b@mairie.fr\r\n"))
        let subject = try #require(head.split(separator: "\r\n").first { $0.hasPrefix("Subject: =?UTF-8?B?") })
        let decoded = String(decoding: Data(base64Encoded: String(subject.dropFirst(19).dropLast(2)))!, as: UTF8.self)
        #expect(decoded == "[Testville] Alerte prise en charge — ECOLE-CP : co2")
        let plain = String(decoding: Data(base64Encoded: body, options: .ignoreUnknownCharacters)!, as: UTF8.self)
        #expect(plain.hasPrefix("Alerte prise en charge (critique) — Testville\r\n\r\nCO₂ élevé — Classe de CP : 1 620 ppm"))
        #expect(plain.contains("Prise en charge le 12/01/2026 09:20 par Martine : fenêtres ouvertes"))
    }
}
