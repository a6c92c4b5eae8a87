/// Everything `pmc-gateway run` loads at start: configuration, device profiles, inventory and alert rules.
public struct GatewaySetup: Sendable, Equatable {
    public var config: GatewayConfig
    /// Device profiles keyed by id.
    public var profiles: [String: DeviceProfile]
    public var inventory: Inventory
    public var alertRules: AlertRuleSet

    public init(config: GatewayConfig, profiles: [String: DeviceProfile], inventory: Inventory, alertRules: AlertRuleSet = AlertRuleSet()) {
        self.config = config
        self.profiles = profiles
        self.inventory = inventory
        self.alertRules = alertRules
    }
}

/// Validates a whole installation (configuration, profiles, inventory and CSV imports) in one pass.
public enum Checker {
    /// Every issue in the configuration at `configPath`, the profile folders and inventory files it names,
    /// and their cross-references (devices → profiles and assets). Empty when all is well.
    ///
    /// - Parameter formats: the payload formats subscriptions and profiles may name, with their option keys.
    public static func check(configPath: String, formats: [String: Set<String>]) -> [ValidationIssue] {
        let log = IssueLog()
        _ = read(configPath: configPath, formats: formats, log: log)
        return log.issues
    }

    /// Loads configuration, profiles and inventory, cross-checked.
    ///
    /// - Throws: `ValidationFailed` with every issue `check` would report.
    public static func load(configPath: String, formats: [String: Set<String>]) throws -> GatewaySetup {
        let log = IssueLog()
        let setup = read(configPath: configPath, formats: formats, log: log)
        try log.throwIfAny()
        guard let setup else { throw ValidationFailed(issues: log.issues) }
        return setup
    }

    private static func read(configPath: String, formats: [String: Set<String>], log: IssueLog) -> GatewaySetup? {
        guard let config = ConfigLoader.read(path: configPath, formats: formats, log: log) else { return nil }
        let catalog = ProfileLoader.read(directories: config.profiles, formats: formats, log: log)
        let inventory = InventoryLoader.read(paths: config.inventory, knownProfiles: catalog.declaredIDs, log: log)
        let metrics = Set(catalog.profiles.values.flatMap { $0.metrics.map(\.metric) })
        let rules = AlertRuleLoader.read(paths: config.alerts, assets: inventory.assets, metrics: metrics, log: log)
        return GatewaySetup(config: config, profiles: catalog.profiles, inventory: inventory, alertRules: rules)
    }
}
