/// Explicit, ordered schema migrations. Each migration runs once, in its own transaction,
/// and its identifier is recorded in `schema_migrations`.
public struct Migrator {
    public struct Migration {
        public let id: String
        public let apply: (Connection) throws -> Void
    }

    private var migrations: [Migration] = []

    public init() {}

    /// Registers the next migration. Never reorder or edit a migration that has shipped: add a new one.
    public mutating func register(_ id: String, _ apply: @escaping (Connection) throws -> Void) {
        precondition(!migrations.contains { $0.id == id }, "duplicate migration \(id)")
        migrations.append(Migration(id: id, apply: apply))
    }

    /// Identifiers in application order.
    public var identifiers: [String] { migrations.map(\.id) }

    /// Applies the migrations not yet recorded; returns the identifiers it applied.
    /// - Parameter last: stop after this migration (tests of a later migration on the data of an earlier schema).
    @discardableResult
    public func migrate(_ connection: Connection, upTo last: String? = nil) throws -> [String] {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id TEXT PRIMARY KEY NOT NULL,
                applied_at INTEGER NOT NULL
            )
            """)
        let applied = Set(try connection.cached("SELECT id FROM schema_migrations").map { $0.string(0) })
        let known = Set(identifiers)
        if let unknown = applied.subtracting(known).sorted().first {
            throw SQLiteError(code: 1, message: "the database was migrated by a newer pmc-gateway (migration \(unknown) is unknown to this version); upgrade pmc-gateway or use another database file")
        }
        var done: [String] = []
        for migration in migrations where !applied.contains(migration.id) {
            try connection.transaction {
                try migration.apply(connection)
                try connection.run("INSERT INTO schema_migrations (id, applied_at) VALUES (?, strftime('%s','now'))", migration.id)
            }
            done.append(migration.id)
            if migration.id == last { break }
        }
        return done
    }
}
