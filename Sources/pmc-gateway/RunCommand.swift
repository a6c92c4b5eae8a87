import Alerts
import ArgumentParser
import Assets
import Foundation
import Ingest
import Logging
import ServiceLifecycle
import Storage

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the gateway: subscribe, decode, store.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: the configuration's).")
    var logLevel: String?

    func run() async throws {
        let setup = try GatewayContext.loadSetup(options.config, consequence: "; nothing was started")
        let (config, profiles, inventory) = (setup.config, setup.profiles, setup.inventory)
        GatewayContext.bootstrapLogging(level: logLevel ?? config.logLevel)
        let logger = Logger(label: "pmc.gateway")
        let report = try GatewayStartup.prepare(config: config, inventory: inventory, profiles: profiles, logger: logger)
        if report.replayedMessages > 0 {
            logger.notice("stored the kept messages of newly declared devices", metadata: ["messages": "\(report.replayedMessages)"])
        }
        let timeZone = TimeZone(identifier: config.commune.timeZone) ?? TimeZone(identifier: "Europe/Paris")!
        let (rules, assets) = (setup.alertRules, inventory.assets)
        if !rules.rules.isEmpty || rules.silence != nil {
            logger.info("alert rules loaded", metadata: ["rules": "\(rules.rules.count)", "overrides": "\(rules.overrides.count)"])
        }
        var channels: [any NotificationChannel] = config.webhooks.compactMap { webhook in
            URL(string: webhook.url).map { WebhookChannel(name: webhook.name, url: $0, timeout: TimeInterval(webhook.timeout)) }
        }
        if let email = config.emailAlerts {
            let router = rules.agents.isEmpty ? nil : AlertRouter(agents: rules.agents, assets: inventory.assets, timeZone: timeZone)
            channels.append(EmailChannel(name: email.name, host: email.host, port: email.port, from: email.from, to: email.to,
                                         timeout: TimeInterval(email.timeout), router: router))
        }
        // Alerts on the broker: a connection of its own (the ingest session is not shared), same settings.
        let mqttChannel = try config.mqttAlerts.map { settings in
            var options = try IngestService.clientOptions(config.mqtt)
            options.clientID += "-alertes"
            return try MQTTAlertChannel(name: settings.name, topic: settings.topic, options: options,
                                        timeout: TimeInterval(settings.timeout), logger: Logger(label: "pmc.alerts.mqtt"))
        }
        if let mqttChannel {
            try mqttChannel.start()
            channels.append(mqttChannel)
        }
        // With threshold rules the ingest writer runs the evaluator: it records the deliveries (one writer).
        let deliveries = rules.rules.isEmpty || channels.isEmpty ? nil : DeliveryLog()
        let notifier = AlertNotifier(databasePath: config.storage.database, channels: channels, commune: config.commune.name,
                                     logger: Logger(label: "pmc.alerts"), deliveries: deliveries)
        let channelNames = channels.map(\.name)
        var makeEvaluator: (@Sendable () -> any ReadingObserver)?
        if !rules.rules.isEmpty {
            makeEvaluator = {
                RuleEvaluator(rules: rules, assets: assets, timeZone: timeZone, logger: Logger(label: "pmc.alerts"),
                              channels: channelNames, communeCoordinates: config.commune.coordinates, deliveries: deliveries,
                              didQueueNotifications: { notifier.wake() })
            }
        }
        let ingest = IngestService(config: config, profiles: profiles, logger: logger, observer: makeEvaluator)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: ingest, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        // Time-driven rules (silence, escalation) check at least every 30 s, and twice per shortest reporting interval
        // or escalation delay.
        let maintenance = MaintenanceCalendar(windows: rules.maintenance, assets: assets, timeZone: timeZone)
        let escalation = EscalationMonitor(rules: rules, maintenance: maintenance)
        var scheduler: AlertScheduler?
        let afterMaintenance = maintenance.isEmpty || channels.isEmpty ? nil : MaintenanceMonitor(calendar: maintenance)
        let usual = UsualConsumptionMonitor(rules: rules, assets: assets, timeZone: timeZone, maintenance: maintenance)
        if rules.silence != nil || !escalation.isEmpty || afterMaintenance != nil || !usual.isEmpty {
            let shortestReport = rules.silence == nil ? nil : profiles.values.map(\.reportingInterval).filter { $0 > 0 }.min() ?? 60
            let shortest = [shortestReport, escalation.shortestDelay].compactMap { $0 }.min() ?? 60
            scheduler = AlertScheduler(databasePath: config.storage.database,
                                       silence: rules.silence.map {
                                           SilenceMonitor(rule: $0, assets: assets, profiles: profiles, timeZone: timeZone, maintenance: maintenance)
                                       },
                                       escalation: escalation.isEmpty ? nil : escalation, maintenance: afterMaintenance,
                                       usualConsumption: usual.isEmpty ? nil : usual, channels: channelNames,
                                       interval: min(30, max(1, Double(shortest) / 2)), logger: Logger(label: "pmc.alerts"),
                                       didQueueNotifications: { notifier.wake() })
        }
        // Changes made by agents (`alerts ack`/`resolve`) are queued too: the notifier runs whatever the rules.
        if !channels.isEmpty { notifier.start() }
        scheduler?.start()
        defer {
            scheduler?.stop()
            if !channels.isEmpty { notifier.stop() }
            mqttChannel?.stop()
        }
        try await group.run()
    }
}
