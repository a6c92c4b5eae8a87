import Assets
import Foundation
import Logging
import MQTT
import ServiceLifecycle
import Storage

/// The running gateway's ingest: MQTT client → journal → storage writer, as one lifecycle service.
///
/// Shutdown order matters: the MQTT client stops first (no new acknowledgements), then the writer drains the
/// journal into the database. A crash at any point leaves the journal to be replayed at the next start.
public final class IngestService: Service, @unchecked Sendable {
    private let config: GatewayConfig
    private let profiles: [String: DeviceProfile]
    private let logger: Logger
    private let readyHandler: (@Sendable () -> Void)?
    private let makeObserver: (@Sendable () -> any ReadingObserver)?

    /// - Parameter observer: makes what watches the stored readings (the alert rules), on the writer's thread.
    public init(config: GatewayConfig, profiles: [String: DeviceProfile], logger: Logger, onReady: (@Sendable () -> Void)? = nil,
                observer: (@Sendable () -> any ReadingObserver)? = nil) {
        self.makeObserver = observer
        self.config = config
        self.profiles = profiles
        self.logger = logger
        self.readyHandler = onReady
    }

    public func run() async throws {
        let timeZone = TimeZone(identifier: config.commune.timeZone) ?? TimeZone(identifier: "Europe/Paris")!
        let journal = try Journal(directory: config.storage.journal, sync: config.storage.syncJournal)
        let counters = IngestCounters()
        let processor = MessageProcessor(subscriptions: config.subscriptions, profiles: profiles, timeZone: timeZone,
                                         payloadLimit: config.storage.rejectedPayloadLimit, logger: logger)
        let writer = StorageWriter(storage: config.storage, journal: journal, processor: processor,
                                   counters: counters, logger: logger, timeZone: timeZone, observer: makeObserver)
        writer.start()
        let receiver = MessageReceiver(journal: journal, subscriptions: config.subscriptions, counters: counters, logger: logger)
        let filters = config.subscriptions.map { MQTTTopic.shared($0.topic, group: config.mqtt.sharedGroup) }
        let client = try MQTTClient(options: try Self.clientOptions(config.mqtt), subscriptions: filters, logger: logger,
                                    onConnectionChange: { connected in if connected { receiver.connected() } },
                                    handler: { receiver.receive($0) })
        try client.start()
        logger.info("ingest running", metadata: ["subscriptions": "\(filters.joined(separator: ", "))",
                                                 "database": "\(config.storage.database)"])
        readyHandler?()
        try? await gracefulShutdown()
        logger.info("shutting down: disconnecting from the broker, then draining the journal")
        client.stop()
        if let error = writer.stop() { throw error }
        logger.info("ingest stopped cleanly")
    }

    /// Resolves the password from its file or environment variable; never from the command line.
    public static func clientOptions(_ settings: MQTTSettings) throws -> MQTTClientOptions {
        var password: String?
        if let file = settings.passwordFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("cannot read the MQTT password file \(file); check that it exists and is readable by the gateway")
            }
            password = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        } else if let variable = settings.passwordEnvironment {
            guard let value = ProcessInfo.processInfo.environment[variable] else {
                throw ConfigurationError("the environment variable \(variable) holding the MQTT password is not set")
            }
            password = value
        }
        return MQTTClientOptions(host: settings.host, port: settings.port, clientID: settings.clientID,
                                 useMQTT5: settings.protocolVersion == .v5, keepAlive: settings.keepAlive,
                                 username: settings.username, password: password, caFile: settings.tls?.caFile,
                                 certificateFile: settings.tls?.certificateFile, keyFile: settings.tls?.keyFile,
                                 tlsInsecure: settings.tls?.insecure ?? false, sessionExpiry: UInt32(clamping: settings.sessionExpiry),
                                 reconnectDelayMin: UInt32(clamping: settings.reconnectDelayMin),
                                 reconnectDelayMax: UInt32(clamping: settings.reconnectDelayMax))
    }
}

/// A configuration problem found at start-up, phrased for the person who edits the file.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
