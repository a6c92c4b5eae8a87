import Foundation
import SQLiteDB
import Testing

/// A cached statement must stay compiled: the ingest path executes the same few statements millions of times.
@Suite struct StatementReuseTests {
    private func temporaryDatabase() throws -> (Connection, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlitedb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (try Connection(path: directory.appendingPathComponent("test.sqlite").path), directory)
    }

    /// Why the rollup statements run per batch write their periods as literals: SQLite 3.40 recompiles a statement
    /// at every execution when a bound value decides whether a partial index applies.
    @Test func aPartialIndexDecidedByABoundValueRecompilesAtEachExecutionAndALiteralDoesNot() throws {
        let (db, directory) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        try db.execute("""
            CREATE TABLE rollups (series_id INTEGER, period INTEGER, bucket_start INTEGER, count INTEGER, sum REAL,
                                  PRIMARY KEY (series_id, period, bucket_start)) WITHOUT ROWID;
            CREATE INDEX rollups_days_by_time ON rollups (bucket_start, series_id) WHERE period = 2;
            """)
        // The shape of the day-from-hours refresh, with the child period bound, then written in.
        func refresh(period: String) -> String {
            """
            INSERT INTO rollups (series_id, period, bucket_start, count, sum)
            SELECT ?1, 2, ?2, sum(count), (SELECT sum FROM rollups WHERE series_id = ?1 AND period = \(period) AND bucket_start >= ?2 AND bucket_start < ?3 ORDER BY bucket_start LIMIT 1)
            FROM rollups WHERE series_id = ?1 AND period = \(period) AND bucket_start >= ?2 AND bucket_start < ?3
            HAVING count(*) > 0
            ON CONFLICT(series_id, period, bucket_start) DO UPDATE SET count = excluded.count, sum = excluded.sum
            """
        }
        let bound = try db.cached(refresh(period: "?4"))
        let literal = try db.cached(refresh(period: "1"))
        let hour: Int64 = 3_600_000
        for day in Int64(0)..<50 {
            try db.run("INSERT INTO rollups VALUES (?, 1, ?, 1, 2.5)", day % 5, day * 24 * hour)
            try bound.execute([day % 5, day * 24 * hour, (day + 1) * 24 * hour, 1])
            try literal.execute([day % 5, day * 24 * hour, (day + 1) * 24 * hour])
        }
        #expect(try db.scalarInt("SELECT count(*) FROM rollups WHERE period = 2") == 50)
        #expect(bound.recompilationCount == 50)
        #expect(literal.recompilationCount == 0)
    }

    @Test func aSchemaChangeStillRecompilesCachedStatements() throws {
        let (db, directory) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        try db.execute("CREATE TABLE t (a INTEGER)")
        let insert = try db.cached("INSERT INTO t (a) VALUES (?)")
        try insert.execute([1])
        try db.execute("CREATE INDEX t_a ON t (a)")
        try insert.execute([2])
        #expect(insert.recompilationCount == 1)
        #expect(try db.scalarInt("SELECT count(*) FROM t") == 2)
    }
}
