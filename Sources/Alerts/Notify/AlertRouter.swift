import Assets
import Foundation

/// Who receives an alert: the agents answering for its asset — by its domain, or for it or one of its ancestors
/// (a light point under its cabinet) — who are on call at the time of the change; when none is, the on-call
/// fallback agents (the duty phone, the secretariat).
public struct AlertRouter: Sendable {
    let agents: [Agent]
    let assets: [String: Asset]
    let calendar: Calendar

    public init(agents: [Agent], assets: [Asset], timeZone: TimeZone) {
        self.agents = agents
        self.assets = Dictionary(assets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    public var isEmpty: Bool { agents.isEmpty }

    /// The agents to tell about a change of `assetID`'s alert at `time`.
    public func agents(for assetID: String, at time: Int64) -> [Agent] {
        var chain: Set<String> = []
        var current = assets[assetID]
        while let asset = current, chain.insert(asset.id).inserted { current = asset.parent.flatMap { assets[$0] } }
        let domain = assets[assetID]?.domain
        let onCall = agents.filter { isOnCall($0, at: time) }
        let assigned = onCall.filter { agent in
            domain.map(agent.domains.contains) == true || agent.assets.contains(where: chain.contains)
        }
        return assigned.isEmpty ? onCall.filter(\.fallback) : assigned
    }

    func isOnCall(_ agent: Agent, at time: Int64) -> Bool {
        agent.onCall?.coversDayAndHour(at: time, calendar: calendar) ?? true
    }
}
