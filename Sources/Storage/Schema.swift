import SQLiteDB

/// The gateway's schema, as explicit ordered migrations. Never edit a shipped migration: append a new one.
public enum Schema {
    public static var migrator: Migrator {
        var migrator = Migrator()
        migrator.register("001_inventory") { db in
            try db.execute("""
                CREATE TABLE assets (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    type TEXT NOT NULL,
                    domain TEXT NOT NULL,
                    parent_id TEXT,
                    address TEXT,
                    latitude REAL,
                    longitude REAL,
                    attributes TEXT NOT NULL DEFAULT '{}'
                );
                CREATE INDEX assets_domain ON assets(domain);
                CREATE INDEX assets_parent ON assets(parent_id);

                -- One row per device identity ever seen or declared. profile IS NULL: unknown to the inventory (pending).
                CREATE TABLE devices (
                    id INTEGER PRIMARY KEY,
                    key TEXT NOT NULL UNIQUE,
                    profile TEXT,
                    asset_id TEXT,
                    name TEXT,
                    declared INTEGER NOT NULL DEFAULT 0,
                    first_seen INTEGER,
                    last_seen INTEGER,
                    message_count INTEGER NOT NULL DEFAULT 0,
                    status TEXT,
                    status_at INTEGER,
                    unmapped_fields TEXT
                );
                CREATE INDEX devices_asset ON devices(asset_id);
                """)
        }
        migrator.register("002_timeseries") { db in
            try db.execute("""
                -- A series is one metric of one device, in one canonical unit. asset_id follows the device's binding,
                -- so binding a device later brings its history along.
                CREATE TABLE series (
                    id INTEGER PRIMARY KEY,
                    device_id INTEGER NOT NULL REFERENCES devices(id),
                    asset_id TEXT,
                    metric TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    UNIQUE (device_id, metric)
                );
                CREATE INDEX series_asset ON series(asset_id, metric);

                -- Compact: ~26 bytes a row. ts is the measurement time in ms since the epoch; the key makes a
                -- redelivered reading (same series, same time) a no-op.
                CREATE TABLE readings (
                    series_id INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    value REAL NOT NULL,
                    PRIMARY KEY (series_id, ts)
                ) WITHOUT ROWID;

                -- The reading with the newest measurement time per series (not the last received).
                CREATE TABLE latest (
                    series_id INTEGER PRIMARY KEY,
                    ts INTEGER NOT NULL,
                    value REAL NOT NULL,
                    received_at INTEGER NOT NULL
                );
                """)
        }
        migrator.register("003_ingest_bookkeeping") { db in
            try db.execute("""
                -- Messages of devices the inventory does not know yet, kept raw so that they can be decoded with
                -- the right profile once the device is declared.
                CREATE TABLE pending_messages (
                    id INTEGER PRIMARY KEY,
                    device_key TEXT NOT NULL,
                    subscription TEXT NOT NULL,
                    format TEXT NOT NULL,
                    topic TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    received_at INTEGER NOT NULL
                );
                CREATE INDEX pending_messages_device ON pending_messages(device_key, id);

                CREATE TABLE rejected_messages (
                    id INTEGER PRIMARY KEY,
                    received_at INTEGER NOT NULL,
                    subscription TEXT NOT NULL,
                    topic TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    payload_size INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    device_key TEXT
                );
                CREATE INDEX rejected_messages_time ON rejected_messages(received_at);

                CREATE TABLE ingest_counters (
                    name TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL
                );

                -- How far the journal has been applied; written in the same transaction as the data it covers.
                CREATE TABLE journal_checkpoint (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    segment INTEGER NOT NULL,
                    offset INTEGER NOT NULL
                );
                """)
        }
        migrator.register("004_rollups") { db in
            try db.execute("""
                -- Aggregates per series on the commune's calendar: period 1 = hour, 2 = day, 3 = month; bucket_start
                -- is the local period's start in UTC ms. consumption is the counter increase ending in the period
                -- (NULL for gauges).
                CREATE TABLE rollups (
                    series_id INTEGER NOT NULL,
                    period INTEGER NOT NULL,
                    bucket_start INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    sum REAL NOT NULL,
                    min REAL NOT NULL,
                    max REAL NOT NULL,
                    first_ts INTEGER NOT NULL,
                    first_value REAL NOT NULL,
                    last_ts INTEGER NOT NULL,
                    last_value REAL NOT NULL,
                    consumption REAL,
                    PRIMARY KEY (series_id, period, bucket_start)
                ) WITHOUT ROWID;
                """)
        }
        migrator.register("005_disk_usage") { db in
            try db.execute("""
                -- Hourly samples of the bytes the gateway uses, for the disk-full forecast.
                CREATE TABLE disk_usage_samples (
                    ts INTEGER PRIMARY KEY,
                    used_bytes INTEGER NOT NULL
                );
                """)
        }
        migrator.register("006_latest_from_rollups") { db in
            try db.execute("""
                -- The latest value of a series is the last value of its newest hourly rollup, which commits with the
                -- readings: one fewer row to write per series and batch, and always the newest measurement time.
                DROP TABLE latest;
                CREATE VIEW latest AS
                SELECT s.id AS series_id,
                       (SELECT last_ts FROM rollups WHERE series_id = s.id AND period = 1 ORDER BY bucket_start DESC LIMIT 1) AS ts,
                       (SELECT last_value FROM rollups WHERE series_id = s.id AND period = 1 ORDER BY bucket_start DESC LIMIT 1) AS value
                FROM series s;
                """)
        }
        migrator.register("007_rollups_by_time") { db in
            try db.execute("""
                -- Commune-wide totals read every series' days of one month: index days and months by time (hours,
                -- the rows written with every batch, stay out of it).
                -- (One partial index per period: SQLite uses a partial index only when the query repeats its condition.)
                CREATE INDEX rollups_days_by_time ON rollups(bucket_start, series_id) WHERE period = 2;
                CREATE INDEX rollups_months_by_time ON rollups(bucket_start, series_id) WHERE period = 3;

                -- Days and months summed per domain (see DomainRollups).
                CREATE TABLE domain_rollups (
                    domain TEXT NOT NULL,
                    metric TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    period INTEGER NOT NULL,
                    bucket_start INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    sum REAL NOT NULL,
                    min REAL NOT NULL,
                    max REAL NOT NULL,
                    consumption REAL,
                    PRIMARY KEY (metric, period, bucket_start, domain, unit)
                ) WITHOUT ROWID;
                """)
        }
        migrator.register("008_rollup_backlog") { db in
            try db.execute("""
                -- Rollup work held in memory (see RollupBacklog): hours summed but not yet written (period 1; the
                -- writer defers them under a backlog), days and months waiting to be recomputed (2, 3). One row per
                -- batch and period, keys packed as little-endian int64 (series_id, bucket_start) pairs. Read after a
                -- crash; a period's rows are deleted by the batch that completes its work.
                CREATE TABLE rollup_backlog (
                    id INTEGER PRIMARY KEY,
                    period INTEGER NOT NULL,
                    keys BLOB NOT NULL
                );
                """)
        }
        migrator.register("009_packed_measurements") { db in
            try db.execute("""
                -- Everything one device measured at one instant, in one row (see PackedReadings): a message's
                -- readings cost one B-tree insert, and a batch dirties one page per device instead of one per series.
                -- The key makes a redelivered message a no-op; a repeated series at the same instant keeps the first value.
                CREATE TABLE measurements (
                    device_id INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    readings BLOB NOT NULL,
                    PRIMARY KEY (device_id, ts)
                ) WITHOUT ROWID;
                """)
            try copyReadingsIntoMeasurements(db)
            try db.execute("""
                DROP TABLE readings;
                -- One row per reading, as before: (series_id, ts, value). Needs the reading_value function (ReadingFunctions).
                CREATE VIEW readings AS
                SELECT s.id AS series_id, m.ts AS ts, reading_value(m.readings, s.id) AS value
                FROM series s JOIN measurements m ON m.device_id = s.device_id
                WHERE reading_value(m.readings, s.id) IS NOT NULL;
                """)
        }
        migrator.register("010_latest_from_measurements") { db in
            try db.execute("""
                -- The latest value of a series: the newest measurement holding it, searched only from the newest hour
                -- the rollups hold (hours are written a slice at a time, seconds behind the readings); the hour's
                -- last value when the raw readings are purged.
                DROP VIEW latest;
                CREATE VIEW latest AS
                SELECT s.id AS series_id, coalesce(m.ts, h.last_ts) AS ts, coalesce(reading_value(m.readings, s.id), h.last_value) AS value
                FROM series s
                LEFT JOIN rollups h ON h.series_id = s.id AND h.period = 1
                    AND h.bucket_start = (SELECT max(bucket_start) FROM rollups WHERE series_id = s.id AND period = 1)
                LEFT JOIN measurements m ON m.device_id = s.device_id AND m.ts = (
                    SELECT ts FROM measurements WHERE device_id = s.device_id AND ts >= coalesce(h.last_ts, 0)
                        AND reading_value(readings, s.id) IS NOT NULL ORDER BY ts DESC LIMIT 1);
                """)
        }
        migrator.register("011_measurements_by_hour") { db in
            try db.execute("""
                -- Measurements clustered by UTC hour, then device: a batch's rows land in the few pages of the newest
                -- hours instead of one page per device (device-first rewrote ~4,300 pages per 14,000-message batch:
                -- 64 % of the bytes written), and the purge deletes whole hours from the front of the table.
                -- hour = ts / 3600000 (integer division, as `MeasurementHour` computes it).
                CREATE TABLE measurements_by_hour (
                    hour INTEGER NOT NULL,
                    device_id INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    readings BLOB NOT NULL,
                    PRIMARY KEY (hour, device_id, ts)
                ) WITHOUT ROWID;
                INSERT INTO measurements_by_hour (hour, device_id, ts, readings)
                SELECT ts / 3600000, device_id, ts, readings FROM measurements ORDER BY ts / 3600000, device_id, ts;

                -- The hours in which each device has measurements: a device's readings over any range are found by
                -- seeking (hour, device) for each of its hours, never by scanning the other devices'.
                CREATE TABLE device_hours (
                    device_id INTEGER NOT NULL,
                    hour INTEGER NOT NULL,
                    PRIMARY KEY (device_id, hour)
                ) WITHOUT ROWID;
                INSERT INTO device_hours (device_id, hour) SELECT DISTINCT device_id, hour FROM measurements_by_hour ORDER BY 1, 2;

                DROP VIEW latest;
                DROP VIEW readings;
                DROP TABLE measurements;
                ALTER TABLE measurements_by_hour RENAME TO measurements;

                -- One row per reading. Bound `hour` (with `ts`) when reading a time range: the bound applies to the
                -- device's hours, and the rows are then found by their key. Needs the reading_value function.
                CREATE VIEW readings AS
                SELECT s.id AS series_id, m.ts AS ts, reading_value(m.readings, s.id) AS value, h.hour AS hour
                FROM series s
                JOIN device_hours h ON h.device_id = s.device_id
                JOIN measurements m ON m.hour = h.hour AND m.device_id = h.device_id
                WHERE reading_value(m.readings, s.id) IS NOT NULL;

                -- The latest value of a series: the newest measurement holding it, searched from its device's newest
                -- hour backwards; once the raw readings are purged, the last value of its newest day.
                CREATE VIEW latest AS
                SELECT n.series_id AS series_id, coalesce(n.ts, d.last_ts) AS ts,
                       coalesce(reading_value(m.readings, n.series_id), d.last_value) AS value
                FROM (SELECT s.id AS series_id, s.device_id AS device_id,
                             (SELECT r.ts FROM readings r WHERE r.series_id = s.id ORDER BY r.hour DESC, r.ts DESC LIMIT 1) AS ts
                      FROM series s) n
                LEFT JOIN measurements m ON m.hour = n.ts / 3600000 AND m.device_id = n.device_id AND m.ts = n.ts
                LEFT JOIN rollups d ON d.series_id = n.series_id AND d.period = 2
                    AND d.bucket_start = (SELECT max(bucket_start) FROM rollups WHERE series_id = n.series_id AND period = 2);
                """)
        }
        migrator.register("012_hourly_rollups_by_time") { db in
            try db.execute("""
                -- Hourly rollups keyed by time first, like the measurements: the hours a flush writes are the few
                -- newest, side by side, instead of one page per series (34 % of the bytes written, series-first).
                -- A series' hours over a range are looked up hour by hour (see RollupAccumulator, RollupQueries).
                CREATE TABLE hourly_rollups (
                    bucket_start INTEGER NOT NULL,
                    series_id INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    sum REAL NOT NULL,
                    min REAL NOT NULL,
                    max REAL NOT NULL,
                    first_ts INTEGER NOT NULL,
                    first_value REAL NOT NULL,
                    last_ts INTEGER NOT NULL,
                    last_value REAL NOT NULL,
                    consumption REAL,
                    PRIMARY KEY (bucket_start, series_id)
                ) WITHOUT ROWID;
                INSERT INTO hourly_rollups (bucket_start, series_id, count, sum, min, max, first_ts, first_value, last_ts, last_value, consumption)
                SELECT bucket_start, series_id, count, sum, min, max, first_ts, first_value, last_ts, last_value, consumption
                FROM rollups WHERE period = 1 ORDER BY bucket_start, series_id;
                -- `rollups` keeps days (2) and months (3), series first: read per series for charts, written by the refresh.
                DELETE FROM rollups WHERE period = 1;
                """)
        }
        migrator.register("013_alerts") { db in
            try db.execute("""
                -- One row per alert raised. At most one unresolved alert per (asset, rule): the unique index is what
                -- deduplicates, whatever raced to raise it.
                CREATE TABLE alerts (
                    id INTEGER PRIMARY KEY,
                    asset_id TEXT NOT NULL,
                    rule_id TEXT NOT NULL,
                    severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
                    state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
                    metric TEXT,
                    -- When the condition began (its first abnormal reading), and when it had lasted long enough.
                    since INTEGER NOT NULL,
                    raised_at INTEGER NOT NULL,
                    value REAL,
                    threshold REAL,
                    -- In French: what the agent reads.
                    message TEXT NOT NULL,
                    acknowledged_at INTEGER,
                    acknowledged_by TEXT,
                    acknowledgement_comment TEXT,
                    resolved_at INTEGER,
                    -- NULL when the condition cleared by itself.
                    resolved_by TEXT,
                    resolution_comment TEXT,
                    CHECK (state = 'open' OR acknowledged_at IS NOT NULL OR resolved_at IS NOT NULL),
                    CHECK (state != 'resolved' OR resolved_at IS NOT NULL)
                );
                CREATE UNIQUE INDEX alerts_one_unresolved ON alerts(asset_id, rule_id) WHERE state != 'resolved';
                CREATE INDEX alerts_by_time ON alerts(raised_at);

                -- Where each (asset, rule) pair stands between readings (no row: normal), so that a restart in the
                -- middle of a duration neither forgets it nor starts it again.
                CREATE TABLE alert_conditions (
                    asset_id TEXT NOT NULL,
                    rule_id TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'active')),
                    since INTEGER NOT NULL,
                    clearing_since INTEGER,
                    -- The time of the newest reading evaluated: older ones arriving late do not move the state.
                    evaluated_at INTEGER NOT NULL,
                    PRIMARY KEY (asset_id, rule_id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.register("014_alert_outbox") { db in
            try db.execute("""
                -- What each notification channel must still be told: written in the transaction of the alert's
                -- change, so a crash between the change and its delivery loses nothing; delivered rows stay as the
                -- history of what was sent, and when.
                CREATE TABLE alert_outbox (
                    id INTEGER PRIMARY KEY,
                    alert_id INTEGER NOT NULL REFERENCES alerts(id),
                    event TEXT NOT NULL CHECK (event IN ('opened', 'acknowledged', 'resolved')),
                    channel TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    delivered_at INTEGER,
                    -- Set when the channel gave up (too many attempts); last_error says why.
                    failed_at INTEGER,
                    last_error TEXT
                );
                CREATE INDEX alert_outbox_due ON alert_outbox(next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
                """)
        }
        migrator.register("015_alert_condition_memory") { db in
            try db.execute("""
                -- Rules judged on earlier readings (rate of change, stuck value, counter going back, night flow) keep
                -- what they need of them with their condition (`memory`, JSON: ReadingMemory): a row may now say 'normal'.
                CREATE TABLE alert_conditions_new (
                    asset_id TEXT NOT NULL,
                    rule_id TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('normal', 'pending', 'active')),
                    since INTEGER,
                    clearing_since INTEGER,
                    evaluated_at INTEGER NOT NULL,
                    memory TEXT,
                    CHECK (state = 'normal' OR since IS NOT NULL),
                    PRIMARY KEY (asset_id, rule_id)
                ) WITHOUT ROWID;
                INSERT INTO alert_conditions_new (asset_id, rule_id, state, since, clearing_since, evaluated_at)
                SELECT asset_id, rule_id, state, since, clearing_since, evaluated_at FROM alert_conditions;
                DROP TABLE alert_conditions;
                ALTER TABLE alert_conditions_new RENAME TO alert_conditions;
                """)
        }
        migrator.register("016_alert_escalation") { db in
            try db.execute("""
                -- When an open alert was escalated (nobody acknowledged it in time); the outbox gains that event.
                ALTER TABLE alerts ADD COLUMN escalated_at INTEGER;
                CREATE TABLE alert_outbox_new (
                    id INTEGER PRIMARY KEY,
                    alert_id INTEGER NOT NULL REFERENCES alerts(id),
                    event TEXT NOT NULL CHECK (event IN ('opened', 'acknowledged', 'resolved', 'escalated')),
                    channel TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    delivered_at INTEGER,
                    failed_at INTEGER,
                    last_error TEXT
                );
                INSERT INTO alert_outbox_new SELECT id, alert_id, event, channel, created_at, attempts, next_attempt_at, delivered_at,
                    failed_at, last_error FROM alert_outbox;
                DROP TABLE alert_outbox;
                ALTER TABLE alert_outbox_new RENAME TO alert_outbox;
                CREATE INDEX alert_outbox_due ON alert_outbox(next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
                CREATE INDEX alerts_unacknowledged ON alerts(raised_at) WHERE state = 'open' AND escalated_at IS NULL;
                """)
        }
        migrator.register("017_alert_outbox_by_alert") { db in
            // The alerts whose opening was never queued (opened during a maintenance) are found by alert.
            try db.execute("CREATE INDEX alert_outbox_by_alert ON alert_outbox(alert_id, event)")
        }
        return migrator
    }

    /// Packs the rows of the former `readings` table, one device and instant at a time.
    private static func copyReadingsIntoMeasurements(_ db: Connection) throws {
        let insert = try db.cached("INSERT INTO measurements (device_id, ts, readings) VALUES (?, ?, ?)")
        var current: (device: Int64, time: Int64)?
        var entries: [PackedReadings.Entry] = []
        func flush() throws {
            guard let key = current, !entries.isEmpty else { return }
            try insert.execute([key.device, key.time, SQLValue.blob(PackedReadings(entries).bytes)])
            entries.removeAll(keepingCapacity: true)
        }
        try db.prepare("""
            SELECT s.device_id, r.ts, r.series_id, r.value FROM readings r JOIN series s ON s.id = r.series_id
            ORDER BY s.device_id, r.ts, r.series_id
            """).forEach { row in
            let key = (device: row.int(0), time: row.int(1))
            if let current, current != key { try flush() }
            current = key
            entries.append(PackedReadings.Entry(series: row.int(2), value: row.double(3)))
        }
        try flush()
    }

    /// Opens a connection to the gateway database, creating and migrating it as needed.
    public static func open(path: String) throws -> Connection {
        let connection = try Connection(path: path)
        try migrate(connection)
        return connection
    }

    /// Opens an existing gateway database read-only, with the SQL functions its views need.
    public static func openForReading(path: String) throws -> Connection {
        let connection = try Connection(path: path, readOnly: true)
        try ReadingFunctions.register(on: connection)
        return connection
    }

    /// Creates or migrates the schema; returns the migrations applied.
    @discardableResult
    public static func migrate(_ connection: Connection) throws -> [String] {
        try ReadingFunctions.register(on: connection)
        // Must precede the first table: lets the purge hand freed pages back to the file system bit by bit
        // (`incremental_vacuum`) instead of a VACUUM that rewrites the whole file.
        if try connection.scalarInt("SELECT count(*) FROM sqlite_master") == 0 {
            // 8 KiB pages: the writer's upserts land all over the rollups and measurements B-trees, and fewer,
            // larger pages cost less per row (measured on the benchmark's shape: hourly upserts 4.6 → 3.6 µs,
            // measurement inserts at large batches 9.2 → 8.0 CPU-s per million messages, small batches unchanged).
            // A WAL database cannot change its page size, even empty: leave WAL for the VACUUM that applies both
            // settings (instant on an empty file), then return to it.
            try connection.execute("PRAGMA journal_mode = DELETE; PRAGMA page_size = 8192; PRAGMA auto_vacuum = INCREMENTAL; VACUUM; PRAGMA journal_mode = WAL")
        }
        return try migrator.migrate(connection)
    }
}
