/// The commune the gateway serves.
public struct Commune: Sendable, Equatable {
    public var name: String
    /// IANA time zone for timestamps sent without offset and for the commune's calendar.
    public var timeZone: String
    public var coordinates: Coordinates?

    public init(name: String, timeZone: String = "Europe/Paris", coordinates: Coordinates? = nil) {
        self.name = name
        self.timeZone = timeZone
        self.coordinates = coordinates
    }
}

/// TLS towards the broker.
public struct TLSSettings: Sendable, Equatable {
    public var caFile: String
    public var certificateFile: String?
    public var keyFile: String?
    /// Skip the server host name check (self-signed broker certificates on a LAN). Off by default.
    public var insecure: Bool

    public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.insecure = insecure
    }
}

/// How to reach and authenticate to the broker.
public struct MQTTSettings: Sendable, Equatable {
    public enum ProtocolVersion: String, Sendable { case v311 = "3.1.1", v5 = "5" }

    public var host: String
    public var port: Int
    /// Fixed client id: the broker keeps the persistent session (and unacknowledged messages) under it.
    public var clientID: String
    public var protocolVersion: ProtocolVersion
    public var keepAlive: Int
    public var username: String?
    /// File holding the password (first line). Never on the command line.
    public var passwordFile: String?
    /// Environment variable holding the password.
    public var passwordEnvironment: String?
    public var tls: TLSSettings?
    /// MQTT 5 / 3.1.1 shared subscription group: subscribe to `$share/GROUP/filter` so instances split the stream.
    public var sharedGroup: String?
    /// Seconds the broker keeps the session after a disconnect (MQTT 5 only; 3.1.1 sessions never expire).
    public var sessionExpiry: Int
    public var reconnectDelayMin: Int
    public var reconnectDelayMax: Int

    public init(host: String = "127.0.0.1", port: Int = 1883, clientID: String = "pmc-gateway",
                protocolVersion: ProtocolVersion = .v311, keepAlive: Int = 30, username: String? = nil,
                passwordFile: String? = nil, passwordEnvironment: String? = nil, tls: TLSSettings? = nil,
                sharedGroup: String? = nil, sessionExpiry: Int = 7 * 86_400, reconnectDelayMin: Int = 1, reconnectDelayMax: Int = 60) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.protocolVersion = protocolVersion
        self.keepAlive = keepAlive
        self.username = username
        self.passwordFile = passwordFile
        self.passwordEnvironment = passwordEnvironment
        self.tls = tls
        self.sharedGroup = sharedGroup
        self.sessionExpiry = sessionExpiry
        self.reconnectDelayMin = reconnectDelayMin
        self.reconnectDelayMax = reconnectDelayMax
    }
}

/// One MQTT subscription and the format of what arrives on it.
public struct Subscription: Sendable, Equatable {
    /// A name for logs and the journal; defaults to the topic filter.
    public var name: String
    public var topic: String
    /// A `PayloadFormat` raw value (`chirpstack-v4`, `tasmota`, …), checked by `pmc-gateway check`.
    public var format: String
    /// Format options (`base_topic`, `full_topic`, `device`, `field`, `time_path`, …).
    public var options: [String: String]

    public init(name: String? = nil, topic: String, format: String, options: [String: String] = [:]) {
        self.name = name ?? topic
        self.topic = topic
        self.format = format
        self.options = options
    }
}

/// How long each kind of data is kept. 0 means forever.
public struct RetentionPolicy: Sendable, Equatable {
    /// Raw readings.
    public var rawDays: Int
    public var hourlyDays: Int
    public var dailyDays: Int
    /// Monthly rollups: at least 5 years (the décret BACS asks for monthly energy values kept 5 years).
    public var monthlyDays: Int
    public var rejectedDays: Int

    public static let minimumMonthlyDays = 1_827

    public init(rawDays: Int = 400, hourlyDays: Int = 1_100, dailyDays: Int = 3_660, monthlyDays: Int = 0, rejectedDays: Int = 90) {
        self.rawDays = rawDays
        self.hourlyDays = hourlyDays
        self.dailyDays = dailyDays
        self.monthlyDays = monthlyDays
        self.rejectedDays = rejectedDays
    }
}

/// Where and how the gateway stores data.
public struct StorageSettings: Sendable, Equatable {
    /// The SQLite database file.
    public var database: String
    /// The folder of the ingest journal (acknowledged messages not yet in the database).
    public var journal: String
    /// `fsync` the journal before acknowledging each batch: survives a power cut, at a throughput cost.
    public var syncJournal: Bool
    /// Largest payload kept in the rejected-messages store (bytes); longer payloads are truncated there.
    public var rejectedPayloadLimit: Int
    public var retention: RetentionPolicy
    /// The most the database and journal may use, in MiB; nil for no budget (the disk's free space still counts).
    public var diskBudgetMB: Int?

    public init(database: String, journal: String, syncJournal: Bool = false, rejectedPayloadLimit: Int = 4096,
                retention: RetentionPolicy = RetentionPolicy(), diskBudgetMB: Int? = nil) {
        self.database = database
        self.journal = journal
        self.syncJournal = syncJournal
        self.rejectedPayloadLimit = rejectedPayloadLimit
        self.retention = retention
        self.diskBudgetMB = diskBudgetMB
    }
}

/// A URL that receives every change of an alert as a JSON `POST`.
public struct WebhookSettings: Sendable, Equatable {
    /// Names the channel in the outbox and the logs.
    public var name: String
    public var url: String
    /// Seconds to wait for an answer.
    public var timeout: Int

    public init(name: String, url: String, timeout: Int = 10) {
        self.name = name
        self.url = url
        self.timeout = timeout
    }
}

/// Alerts published on the gateway's broker, retained per (asset, rule) under `topic`.
public struct MQTTAlertSettings: Sendable, Equatable {
    /// Names the channel in the outbox and the logs.
    public var name: String
    /// The topic prefix; an alert goes to `topic/ASSET/RULE`.
    public var topic: String
    /// Seconds to wait for the broker's acknowledgement.
    public var timeout: Int

    public init(name: String = "mqtt", topic: String, timeout: Int = 10) {
        self.name = name
        self.topic = topic
        self.timeout = timeout
    }
}

/// Alerts by e-mail through an SMTP relay (no authentication nor TLS: a relay on the box or the commune's network).
public struct EmailAlertSettings: Sendable, Equatable {
    public var name: String
    public var host: String
    public var port: Int
    public var from: String
    public var to: [String]
    /// Seconds to wait for each reply of the relay.
    public var timeout: Int

    public init(name: String = "courriel", host: String, port: Int = 25, from: String, to: [String], timeout: Int = 10) {
        self.name = name
        self.host = host
        self.port = port
        self.from = from
        self.to = to
        self.timeout = timeout
    }
}

/// Everything `pmc-gateway run` needs; loaded from the YAML configuration file.
public struct GatewayConfig: Sendable, Equatable {
    /// The configuration file's own path (relative paths inside it are resolved against its folder).
    public var path: String
    public var commune: Commune
    public var mqtt: MQTTSettings
    public var subscriptions: [Subscription]
    public var storage: StorageSettings
    /// Inventory files (YAML), resolved to absolute paths.
    public var inventory: [String]
    /// Folders of device profiles, resolved to absolute paths.
    public var profiles: [String]
    /// Alert rule files (YAML), resolved to absolute paths.
    public var alerts: [String]
    /// Where alerts are sent (besides the log).
    public var webhooks: [WebhookSettings]
    public var mqttAlerts: MQTTAlertSettings?
    public var emailAlerts: EmailAlertSettings?
    public var logLevel: String

    /// The names of every notification channel configured (each change of an alert is queued for each).
    public var notificationChannels: [String] {
        webhooks.map(\.name) + (mqttAlerts.map { [$0.name] } ?? []) + (emailAlerts.map { [$0.name] } ?? [])
    }

    public init(path: String, commune: Commune, mqtt: MQTTSettings, subscriptions: [Subscription],
                storage: StorageSettings, inventory: [String], profiles: [String], alerts: [String] = [], webhooks: [WebhookSettings] = [], mqttAlerts: MQTTAlertSettings? = nil,
                emailAlerts: EmailAlertSettings? = nil, logLevel: String = "info") {
        self.mqttAlerts = mqttAlerts
        self.emailAlerts = emailAlerts
        self.path = path
        self.commune = commune
        self.mqtt = mqtt
        self.subscriptions = subscriptions
        self.storage = storage
        self.inventory = inventory
        self.profiles = profiles
        self.alerts = alerts
        self.webhooks = webhooks
        self.logLevel = logLevel
    }
}
