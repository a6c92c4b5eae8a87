import SQLiteDB

/// One stored reading with its series' identity, as the CLI and the API return it.
public struct ReadingRow: Sendable, Equatable, Codable {
    public var device: String
    public var asset: String?
    public var metric: String
    public var unit: String
    public var time: Int64
    public var value: Double
}

/// A device as listed by `pmc-gateway devices`.
public struct DeviceRow: Sendable, Equatable, Codable {
    public var key: String
    public var name: String?
    public var profile: String?
    public var asset: String?
    public var declared: Bool
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    public var messageCount: Int64
    public var pendingMessages: Int64
    public var status: String?
    public var statusAt: Int64?
    public var unmappedFields: String?

    /// Heard from but not in the inventory: its messages are kept until it is declared.
    public var isPending: Bool { profile == nil }

    public init(key: String, name: String?, profile: String?, asset: String?, declared: Bool, firstSeen: Int64?,
                lastSeen: Int64?, messageCount: Int64, pendingMessages: Int64, status: String?, statusAt: Int64?,
                unmappedFields: String?) {
        self.key = key
        self.name = name
        self.profile = profile
        self.asset = asset
        self.declared = declared
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.messageCount = messageCount
        self.pendingMessages = pendingMessages
        self.status = status
        self.statusAt = statusAt
        self.unmappedFields = unmappedFields
    }
}

/// A message kept in the rejected store.
public struct RejectedRow: Sendable, Equatable, Codable {
    public var id: Int64
    public var receivedAt: Int64
    public var subscription: String
    public var topic: String
    public var payload: String
    public var payloadSize: Int64
    public var reason: String
    public var deviceKey: String?
}

/// Read-side queries over the gateway database.
public struct GatewayQueries {
    private let db: Connection
    var connection: Connection { db }

    public init(connection: Connection) {
        self.db = connection
    }

    /// Readings of a device or an asset, optionally of one metric, within `[from, to)` (ms since epoch).
    public func readings(device: String? = nil, asset: String? = nil, metric: String? = nil,
                         from: Int64? = nil, to: Int64? = nil, limit: Int = 100_000) throws -> [ReadingRow] {
        var sql = """
            SELECT d.key, s.asset_id, s.metric, s.unit, r.ts, r.value
            FROM readings r JOIN series s ON s.id = r.series_id JOIN devices d ON d.id = s.device_id
            WHERE 1 = 1
            """
        var values: [any SQLBindable] = []
        if let device { sql += " AND d.key = ?"; values.append(device) }
        if let asset { sql += " AND s.asset_id = ?"; values.append(asset) }
        if let metric { sql += " AND s.metric = ?"; values.append(metric) }
        // The hour bounds restrict the device hours visited; the time bounds, the readings within them.
        if let from { sql += " AND r.hour >= ? AND r.ts >= ?"; values += [MeasurementHour.of(from), from] as [any SQLBindable] }
        if let to { sql += " AND r.hour <= ? AND r.ts < ?"; values += [MeasurementHour.of(to - 1), to] as [any SQLBindable] }
        sql += " ORDER BY s.metric, d.key, r.ts LIMIT ?"
        values.append(limit)
        return try db.prepare(sql).map(values) { row in
            ReadingRow(device: row.string(0), asset: row.optionalString(1), metric: row.string(2), unit: row.string(3),
                       time: row.int(4), value: row.double(5))
        }
    }

    /// The latest value (newest measurement time) of every series of a device or asset.
    public func latest(device: String? = nil, asset: String? = nil) throws -> [ReadingRow] {
        var sql = """
            SELECT d.key, s.asset_id, s.metric, s.unit, l.ts, l.value
            FROM series s JOIN latest l ON l.series_id = s.id JOIN devices d ON d.id = s.device_id WHERE l.ts IS NOT NULL
            """
        var values: [any SQLBindable] = []
        if let device { sql += " AND d.key = ?"; values.append(device) }
        if let asset { sql += " AND s.asset_id = ?"; values.append(asset) }
        sql += " ORDER BY d.key, s.metric"
        return try db.prepare(sql).map(values) { row in
            ReadingRow(device: row.string(0), asset: row.optionalString(1), metric: row.string(2), unit: row.string(3),
                       time: row.int(4), value: row.double(5))
        }
    }

    public func devices(pendingOnly: Bool = false) throws -> [DeviceRow] {
        var sql = """
            SELECT d.key, d.name, d.profile, d.asset_id, d.declared, d.first_seen, d.last_seen, d.message_count,
                   (SELECT count(*) FROM pending_messages p WHERE p.device_key = d.key), d.status, d.status_at, d.unmapped_fields
            FROM devices d
            """
        if pendingOnly { sql += " WHERE d.profile IS NULL" }
        sql += " ORDER BY d.profile IS NOT NULL, d.key"
        return try db.prepare(sql).map { row in
            DeviceRow(key: row.string(0), name: row.optionalString(1), profile: row.optionalString(2), asset: row.optionalString(3),
                      declared: row.int(4) != 0, firstSeen: row.optionalInt(5), lastSeen: row.optionalInt(6),
                      messageCount: row.int(7), pendingMessages: row.int(8), status: row.optionalString(9),
                      statusAt: row.optionalInt(10), unmappedFields: row.optionalString(11))
        }
    }

    public func rejected(since: Int64? = nil, limit: Int = 100) throws -> [RejectedRow] {
        let sql = """
            SELECT id, received_at, subscription, topic, payload, payload_size, reason, device_key
            FROM rejected_messages WHERE received_at >= ? ORDER BY id DESC LIMIT ?
            """
        return try db.prepare(sql).map([since ?? 0, limit]) { row in
            RejectedRow(id: row.int(0), receivedAt: row.int(1), subscription: row.string(2), topic: row.string(3),
                        payload: String(decoding: row.blob(4), as: UTF8.self), payloadSize: row.int(5),
                        reason: row.string(6), deviceKey: row.optionalString(7))
        }
    }

    /// When the database was created (ms since the epoch): the reference for devices never heard from.
    public func createdAt() throws -> Int64? {
        try db.scalarInt("SELECT min(applied_at) FROM schema_migrations").map { $0 * 1000 }
    }

    /// Ingest counters plus table sizes.
    public func stats() throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        try db.cached("SELECT name, value FROM ingest_counters").forEach { result[$0.string(0)] = $0.int(1) }
        let tables = ["readings", "series", "devices", "assets", "rejected_messages", "pending_messages"]
        for table in tables {
            result["rows_\(table)"] = try db.scalarInt("SELECT count(*) FROM \(table)") ?? 0
        }
        result["devices_pending"] = try db.scalarInt("SELECT count(*) FROM devices WHERE profile IS NULL") ?? 0
        return result
    }

    /// Raw messages waiting for a device to be declared, oldest first.
    public func pendingMessages(deviceKey: String) throws -> [(id: Int64, subscription: String, format: String, topic: String, payload: [UInt8], receivedAt: Int64)] {
        try db.cached("SELECT id, subscription, format, topic, payload, received_at FROM pending_messages WHERE device_key = ? ORDER BY id")
            .map([deviceKey]) { ($0.int(0), $0.string(1), $0.string(2), $0.string(3), $0.blob(4), $0.int(5)) }
    }
}
