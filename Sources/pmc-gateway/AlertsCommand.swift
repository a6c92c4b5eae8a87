import Alerts
import ArgumentParser
import Assets
import Foundation
import Storage

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "List, acknowledge and resolve alerts.",
        subcommands: [List.self, Acknowledge.self, Resolve.self, Backtest.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Alerts still open or acknowledged (newest first).")

        @OptionGroup var options: ConfigOptions
        @Flag(help: "Resolved alerts too.") var all = false
        @Option(help: "Maximum rows (newest first).") var limit: Int = 100
        @Option(help: "Output: table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try GatewayContext.loadConfig(options.config)
            let zone = GatewayContext.timeZone(config)
            let store = AlertStore(connection: try GatewayContext.openDatabase(config))
            let alerts = try store.alerts(in: all ? Set(AlertState.allCases) : [.open, .acknowledged], limit: limit)
            let rows = alerts.map { AlertRow($0, timeZone: zone) }
            switch format {
            case .json:
                print(try rows.jsonString())
            case .csv:
                print("id,state,severity,asset,rule,since,raised_at,value,threshold,message,acknowledged_by,resolved_by")
                for row in rows {
                    print(["\(row.id)", row.state, row.severity, row.asset, row.rule, row.since, row.raisedAt, row.value.map { "\($0)" } ?? "",
                           row.threshold.map { "\($0)" } ?? "", row.message, row.acknowledgedBy ?? "", row.resolvedBy ?? ""].map(csvCell).joined(separator: ","))
                }
            case .table:
                for alert in alerts {
                    print("#\(alert.id) [\(alert.state.rawValue), \(alert.severity.frenchName)] \(alert.assetID) · \(alert.ruleID) · \(GatewayContext.iso(alert.raisedAt, timeZone: zone))")
                    print("    \(alert.message)")
                    if let done = alert.acknowledgement {
                        print("    pris en compte par \(done.by ?? "?") le \(GatewayContext.iso(done.at, timeZone: zone))\(done.comment.map { " : \($0)" } ?? "")")
                    }
                    if let done = alert.resolution {
                        print("    résolue \(done.by.map { "par \($0)" } ?? "automatiquement") le \(GatewayContext.iso(done.at, timeZone: zone))\(done.comment.map { " : \($0)" } ?? "")")
                    }
                }
                print("\(alerts.count) alert\(alerts.count == 1 ? "" : "s") shown")
            }
        }
    }

    /// What both agent actions take: the alert, who acts, and a comment.
    struct Action: ParsableArguments {
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The alert's number (from `alerts list`).") var id: Int64
        @Option(help: "Who acts (kept with the alert).") var by: String
        @Option(help: "A comment for the other agents: what was seen, what was done.") var comment: String?
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ack", abstract: "Take an open alert in charge.")

        @OptionGroup var action: Action

        func run() async throws {
            let alert = try AlertsCommand.act(config: action.options.config) {
                try $0.acknowledge(id: action.id, by: action.by, comment: action.comment, at: AlertsCommand.now())
            }
            print("#\(alert.id) pris en compte par \(action.by).")
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close an alert once the intervention is done.")

        @OptionGroup var action: Action

        func run() async throws {
            let alert = try AlertsCommand.act(config: action.options.config) {
                try $0.resolve(id: action.id, by: action.by, comment: action.comment, at: AlertsCommand.now())
            }
            print("#\(alert.id) résolue par \(action.by).")
        }
    }

    struct Backtest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How often a rule would have fired on the stored readings, to tune it before enabling it (nothing is written).")

        @OptionGroup var options: ConfigOptions
        @Option(help: "The rule's id (from the alerts: files).") var rule: String
        @Option(help: "How many days back from now.") var days: Int = 30
        @Option(help: "Only this asset.") var asset: String?
        @Option(help: "Try another raising level instead of the configured one.") var level: Double?
        @Option(name: .customLong("for"), help: "Try another duration (10m, 1h30m, 90s).") var duration: String?
        @Option(help: "Try another clearing level.") var clearLevel: Double?
        @Option(help: "Try another clearing duration.") var clearFor: String?
        @Option(help: "Output: table or json.") var format: OutputFormat = .table

        func run() async throws {
            let setup = try GatewayContext.loadSetup(options.config)
            guard var tried = setup.alertRules.rules.first(where: { $0.id == rule }) else {
                let known = setup.alertRules.rules.map(\.id)
                throw ValidationError("no rule '\(rule)' in the alerts: files (\(known.isEmpty ? "none is configured" : "known: " + known.joined(separator: ", ")))")
            }
            if let level {
                if tried.clearLevel == tried.level, clearLevel == nil { tried.clearLevel = level }
                tried.level = level
            }
            if let duration {
                let seconds = try Self.seconds(duration, option: "--for")
                if tried.clearDuration == tried.duration, clearFor == nil { tried.clearDuration = seconds }
                tried.duration = seconds
            }
            if let clearLevel { tried.clearLevel = clearLevel }
            if let clearFor { tried.clearDuration = try Self.seconds(clearFor, option: "--clear-for") }
            let assets = setup.inventory.assets.filter { asset == nil || $0.id == asset }
            if let asset, assets.isEmpty { throw ValidationError("no asset '\(asset)' in the inventory") }
            let config = setup.config
            let zone = GatewayContext.timeZone(config)
            let to = AlertsCommand.now()
            let from = to - Int64(days) * 86_400_000
            let results = try RuleBacktest(rules: setup.alertRules, queries: GatewayQueries(connection: try GatewayContext.openDatabase(config)),
                                           communeCoordinates: config.commune.coordinates, timeZone: zone)
                .run(tried, assets: assets, from: from, to: to)
            switch format {
            case .json:
                print(try results.map { BacktestRow($0, timeZone: zone) }.jsonString())
            case .table, .csv:
                let total = results.reduce(0) { $0 + $1.episodes.count }
                let side = tried.direction == .above ? "above" : "below"
                print("rule \(tried.id): \(tried.metric) \(side) \(tried.level) for \(tried.duration) s, clears past \(tried.clearLevel) for \(tried.clearDuration) s")
                print("from \(GatewayContext.iso(from, timeZone: zone)) to \(GatewayContext.iso(to, timeZone: zone)): "
                      + "\(total) alert\(total == 1 ? "" : "s") on \(results.filter { !$0.episodes.isEmpty }.count) of \(results.count) assets")
                for result in results where !result.episodes.isEmpty || asset != nil {
                    print("  \(result.assetID): \(result.episodes.count) alert\(result.episodes.count == 1 ? "" : "s") (\(result.readings) readings)")
                    for episode in result.episodes {
                        let end = episode.clearedAt.map { "cleared \(GatewayContext.iso($0, timeZone: zone))" } ?? "still on"
                        print("    since \(GatewayContext.iso(episode.since, timeZone: zone)), raised \(GatewayContext.iso(episode.raisedAt, timeZone: zone)), \(end), peak \(episode.peak)")
                    }
                }
            }
        }

        static func seconds(_ text: String, option: String) throws -> Int {
            guard let seconds = Durations.seconds(text), seconds >= 0 else {
                throw ValidationError("\(option) must be a duration such as 10m, 1h30m or 90s, got '\(text)'")
            }
            return seconds
        }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Runs an agent's action on the database (next to a running gateway: SQLite waits for its batch to end).
    static func act(config path: String, _ action: (AlertStore) throws -> Alert) throws -> Alert {
        let config = try GatewayContext.loadConfig(path)
        do {
            // The change and its notifications (sent by the running gateway) in one transaction.
            let db = try Schema.open(path: config.storage.database)
            return try db.transaction { try action(AlertStore(connection: db, channels: config.notificationChannels)) }
        } catch let error as AlertActionError {
            throw ValidationError(error.description)
        }
    }
}

/// An alert as `alerts list --format json|csv` prints it.
struct AlertRow: Encodable {
    let id: Int64
    let state: String
    let severity: String
    let asset: String
    let rule: String
    let metric: String?
    let since: String
    let raisedAt: String
    let value: Double?
    let threshold: Double?
    let message: String
    let acknowledgedBy: String?
    let acknowledgedAt: String?
    let resolvedBy: String?
    let resolvedAt: String?

    init(_ alert: Alert, timeZone: TimeZone) {
        id = alert.id
        state = alert.state.rawValue
        severity = alert.severity.rawValue
        asset = alert.assetID
        rule = alert.ruleID
        metric = alert.metric
        since = GatewayContext.iso(alert.since, timeZone: timeZone)
        raisedAt = GatewayContext.iso(alert.raisedAt, timeZone: timeZone)
        value = alert.value
        threshold = alert.threshold
        message = alert.message
        acknowledgedBy = alert.acknowledgement?.by
        acknowledgedAt = alert.acknowledgement.map { GatewayContext.iso($0.at, timeZone: timeZone) }
        resolvedBy = alert.resolution?.by
        resolvedAt = alert.resolution.map { GatewayContext.iso($0.at, timeZone: timeZone) }
    }
}

/// One asset's back-test as `alerts backtest --format json` prints it.
struct BacktestRow: Encodable {
    struct Episode: Encodable {
        let since: String
        let raisedAt: String
        let clearedAt: String?
        let peak: Double
    }

    let asset: String
    let readings: Int
    let alerts: [Episode]

    init(_ result: RuleBacktest.AssetResult, timeZone: TimeZone) {
        asset = result.assetID
        readings = result.readings
        alerts = result.episodes.map {
            Episode(since: GatewayContext.iso($0.since, timeZone: timeZone), raisedAt: GatewayContext.iso($0.raisedAt, timeZone: timeZone),
                    clearedAt: $0.clearedAt.map { GatewayContext.iso($0, timeZone: timeZone) }, peak: $0.peak)
        }
    }
}
