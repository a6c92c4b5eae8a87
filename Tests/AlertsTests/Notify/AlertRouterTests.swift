import Assets
import Foundation
import Testing
@testable import Alerts

/// Routing to on-call agents, on a 2027 week in Paris (Monday 2027-01-11).
struct AlertRouterTests {
    let assets = [
        Asset(id: "ARMOIRE-A", name: "Armoire A", type: .controlCabinet, domain: .eclairage),
        Asset(id: "PL-1", name: "Point 1", type: .lightPoint, domain: .eclairage, parent: "ARMOIRE-A"),
        Asset(id: "CRECHE-DORTOIR", name: "Dortoir", type: .room, domain: .petiteEnfance),
        Asset(id: "MAIRIE-SALLE", name: "Salle", type: .room, domain: .batiments),
    ]
    let agents = [
        Agent(id: "martine", name: "Martine", email: "martine@mairie.fr", domains: [.petiteEnfance, .batiments],
              onCall: RuleSchedule(days: [1, 2, 3, 4, 5], hours: .init(from: 450, to: 1_080))),
        Agent(id: "paul", name: "Paul", email: "paul@mairie.fr", assets: ["ARMOIRE-A"]),
        Agent(id: "astreinte", name: "Astreinte", email: "astreinte@mairie.fr", fallback: true),
    ]
    /// Local time in Paris (UTC+1 in January) on a day counted from Monday 2027-01-11.
    func local(day: Int64, _ hour: Int64) -> Int64 { 1_799_625_600_000 + day * 86_400_000 + (hour - 1) * 3_600_000 }

    @Test("by domain while on call, by asset for its descendants too, the fallback when nobody on call answers for it")
    func routes() {
        let router = AlertRouter(agents: agents, assets: assets, timeZone: TimeZone(identifier: "Europe/Paris")!)
        #expect(router.agents(for: "CRECHE-DORTOIR", at: local(day: 0, 10)).map(\.id) == ["martine"])      // Monday 10:00
        #expect(router.agents(for: "CRECHE-DORTOIR", at: local(day: 0, 20)).map(\.id) == ["astreinte"])    // Monday 20:00
        #expect(router.agents(for: "MAIRIE-SALLE", at: local(day: 5, 10)).map(\.id) == ["astreinte"])      // Saturday
        #expect(router.agents(for: "PL-1", at: local(day: 5, 3)).map(\.id) == ["paul"])                    // under his cabinet, always on call
    }

    @Test("the e-mail goes to the channel's addresses and the on-call agents', once each")
    func emailAddresses() {
        let router = AlertRouter(agents: agents, assets: assets, timeZone: TimeZone(identifier: "Europe/Paris")!)
        let channel = EmailChannel(name: "courriel", host: "127.0.0.1", from: "pmc@mairie.fr", to: ["secretariat@mairie.fr", "martine@mairie.fr"],
                                   router: router)
        let alert = Alert(id: 1, state: .open, cause: AlertCause(assetID: "CRECHE-DORTOIR", ruleID: "co2", severity: .warning,
                                                                 since: local(day: 0, 9), raisedAt: local(day: 0, 10), message: "m"))
        #expect(channel.addresses(AlertNotification(event: .opened, alert: alert, commune: "T")) == ["secretariat@mairie.fr", "martine@mairie.fr"])
        var night = alert
        night.cause.raisedAt = local(day: 0, 22)
        #expect(channel.addresses(AlertNotification(event: .opened, alert: night, commune: "T")) == ["secretariat@mairie.fr", "martine@mairie.fr", "astreinte@mairie.fr"])
    }
}
