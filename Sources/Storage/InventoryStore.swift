import Assets
import Foundation
import SQLiteDB

/// Writes the commune's inventory into the database: assets, declared devices and their bindings.
public struct InventoryStore {
    private let db: Connection

    public init(connection: Connection) {
        self.db = connection
    }

    /// Replaces the stored inventory with `inventory`. Series of a device follow its binding, so binding a
    /// device that was pending brings its history to the asset. Returns the keys of declared devices that
    /// have raw messages waiting to be decoded now that their profile is known.
    @discardableResult
    public func sync(_ inventory: Inventory) throws -> [String] {
        try db.transaction {
            let domainsBefore = try seriesDomains()
            try db.execute("DELETE FROM assets")
            let insertAsset = try db.cached("""
                INSERT INTO assets (id, name, type, domain, parent_id, address, latitude, longitude, attributes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for asset in inventory.assets {
                try insertAsset.execute([asset.id, asset.name, asset.type.rawValue, asset.domain.rawValue, asset.parent,
                                         asset.address, asset.coordinates?.latitude, asset.coordinates?.longitude,
                                         Self.attributesJSON(asset.attributes)])
            }
            try db.execute("UPDATE devices SET declared = 0")
            let upsertDevice = try db.cached("""
                INSERT INTO devices (key, profile, asset_id, name, declared) VALUES (?, ?, ?, ?, 1)
                ON CONFLICT(key) DO UPDATE SET profile = excluded.profile, asset_id = excluded.asset_id,
                    name = excluded.name, declared = 1
                """)
            for device in inventory.devices {
                try upsertDevice.execute([device.id, device.profile, device.asset, device.name])
            }
            // Devices removed from the inventory become pending again: their new messages wait for a profile.
            try db.execute("UPDATE devices SET profile = NULL, asset_id = NULL WHERE declared = 0")
            try db.execute("UPDATE series SET asset_id = (SELECT asset_id FROM devices WHERE devices.id = series.device_id)")
            if try seriesDomains() != domainsBefore {
                try DomainRollups.rebuild(db: db) // series moved between domains: their history moves too
            }
            return try db.cached("""
                SELECT DISTINCT p.device_key FROM pending_messages p JOIN devices d ON d.key = p.device_key
                WHERE d.profile IS NOT NULL ORDER BY p.device_key
                """).map { $0.string(0) }
        }
    }

    /// Which domain each series counts in.
    private func seriesDomains() throws -> [Int64: String] {
        var result: [Int64: String] = [:]
        try db.cached("SELECT s.id, a.domain FROM series s JOIN assets a ON a.id = s.asset_id").forEach { result[$0.int(0)] = $0.string(1) }
        return result
    }

    static func attributesJSON(_ attributes: [String: AttributeValue]) -> String {
        var object: [String: Any] = [:]
        for (key, value) in attributes {
            switch value {
            case .number(let n): object[key] = n
            case .text(let t): object[key] = t
            case .bool(let b): object[key] = b
            }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
