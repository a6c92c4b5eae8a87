/// How urgently an agent must act.
public enum AlertSeverity: String, Sendable, CaseIterable, Comparable {
    case info, warning, critical

    /// As the agents read it.
    public var frenchName: String {
        switch self {
        case .info: "information"
        case .warning: "avertissement"
        case .critical: "critique"
        }
    }

    public static func < (lhs: AlertSeverity, rhs: AlertSeverity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Where an alert is in its lifecycle: open → acknowledged → resolved (an open alert may also be resolved directly).
public enum AlertState: String, Sendable, CaseIterable {
    case open, acknowledged, resolved
}

/// What a rule found: the asset, the rule, the reading and the level it crossed, and the text for the agents.
public struct AlertCause: Sendable, Equatable {
    public var assetID: String
    public var ruleID: String
    public var severity: AlertSeverity
    public var metric: String?
    /// When the condition began (its first abnormal reading), in milliseconds since the epoch.
    public var since: Int64
    /// When the condition had lasted long enough to raise the alert.
    public var raisedAt: Int64
    /// The reading that raised it, and the level it crossed.
    public var value: Double?
    public var threshold: Double?
    /// What the agent reads, in French.
    public var message: String

    public init(assetID: String, ruleID: String, severity: AlertSeverity, metric: String? = nil, since: Int64, raisedAt: Int64,
                value: Double? = nil, threshold: Double? = nil, message: String) {
        self.assetID = assetID
        self.ruleID = ruleID
        self.severity = severity
        self.metric = metric
        self.since = since
        self.raisedAt = raisedAt
        self.value = value
        self.threshold = threshold
        self.message = message
    }
}

/// An alert raised for an asset by a rule, with who did what and when.
@dynamicMemberLookup
public struct Alert: Sendable, Equatable {
    public var id: Int64
    public var state: AlertState
    public var cause: AlertCause
    public var acknowledgement: Action?
    /// `by` is nil when the condition cleared by itself.
    public var resolution: Action?
    /// When it was escalated: still open, unacknowledged, past its rule's `escalate_after`.
    public var escalatedAt: Int64? = nil

    /// The cause's fields, as the alert's own (`alert.assetID`).
    public subscript<T>(dynamicMember path: KeyPath<AlertCause, T>) -> T { cause[keyPath: path] }

    /// Something an agent (or the gateway) did to the alert.
    public struct Action: Sendable, Equatable {
        public var at: Int64
        public var by: String?
        public var comment: String?

        public init(at: Int64, by: String?, comment: String?) {
            self.at = at
            self.by = by
            self.comment = comment
        }
    }
}

/// Why an agent's action on an alert was refused.
public enum AlertActionError: Error, Equatable, CustomStringConvertible {
    case notFound(id: Int64)
    case alreadyResolved(id: Int64, at: Int64)
    case alreadyAcknowledged(id: Int64, by: String?, at: Int64)
    case missingAgent

    public var description: String {
        switch self {
        case .notFound(let id):
            "no alert #\(id) (list them with `pmc-gateway alerts list`)"
        case .alreadyResolved(let id, let at):
            "alert #\(id) was already resolved at \(AlertText.dateTime(at)); nothing to do"
        case .alreadyAcknowledged(let id, let by, let at):
            "alert #\(id) was already acknowledged by \(by ?? "someone") at \(AlertText.dateTime(at)); resolve it once the intervention is done"
        case .missingAgent:
            "say who acts on the alert (--by NAME): the lifecycle keeps who acknowledged and who resolved"
        }
    }
}
