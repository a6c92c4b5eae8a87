import Assets
import Foundation
import Logging
import SQLiteDB
import Storage

/// What happens before ingest starts: the database is created or migrated, the inventory written into it,
/// and the kept messages of newly declared devices decoded.
public enum GatewayStartup {
    public struct Report: Sendable {
        public var appliedMigrations: [String]
        public var replayedMessages: Int
    }

    public static func prepare(config: GatewayConfig, inventory: Inventory, profiles: [String: DeviceProfile], logger: Logger) throws -> Report {
        let folder = (config.storage.database as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let connection = try Connection(path: config.storage.database)
        let applied = try Schema.migrate(connection)
        if !applied.isEmpty { logger.info("database migrated", metadata: ["migrations": "\(applied.joined(separator: ", "))"]) }
        let readyKeys = try InventoryStore(connection: connection).sync(inventory)
        logger.info("inventory loaded", metadata: ["assets": "\(inventory.assets.count)", "devices": "\(inventory.devices.count)"])
        let timeZone = TimeZone(identifier: config.commune.timeZone) ?? TimeZone(identifier: "Europe/Paris")!
        let processor = MessageProcessor(subscriptions: config.subscriptions, profiles: profiles, timeZone: timeZone,
                                         payloadLimit: config.storage.rejectedPayloadLimit, logger: logger)
        let replayed = try PendingReplayer(processor: processor, logger: logger).replay(deviceKeys: readyKeys, connection: connection, timeZone: timeZone)
        return Report(appliedMigrations: applied, replayedMessages: replayed)
    }
}
