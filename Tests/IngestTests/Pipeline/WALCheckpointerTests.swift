import Foundation
import Logging
import SQLiteDB
import Testing
@testable import Ingest

/// The write-ahead log is copied into the database by the checkpointer thread, not by the writer's commits.
struct WALCheckpointerTests {
    let path = NSTemporaryDirectory() + "pmc-checkpointer-\(UUID().uuidString.prefix(8)).sqlite"

    func size(_ suffix: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + suffix))?[.size] as? Int) ?? 0
    }

    @Test("with autocheckpoint off the log only grows; the checkpointer copies it, and truncates it when stopped")
    func checkpointsOffTheWriterThread() throws {
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let writer = try Connection(path: path)
        try writer.execute("PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
        let insert = try writer.prepare("INSERT INTO t (v) VALUES (?)")
        func write(_ rows: Int) throws {
            try writer.execute("BEGIN")
            for _ in 0..<rows { try insert.execute([SQLValue.blob([UInt8](repeating: 7, count: 1_000))]) }
            try writer.execute("COMMIT")
        }
        try write(2_000)
        let grown = size("-wal")
        #expect(grown > 2_000_000)
        #expect(size("") < 100_000) // nothing copied the log into the database: the writer does not checkpoint

        let checkpointer = WALCheckpointer(databasePath: path, logger: Logger(label: "test"), interval: 0.05)
        checkpointer.start()
        let deadline = Date().addingTimeInterval(10)
        while size("") < 2_000_000, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(size("") >= 2_000_000) // the checkpointer copied the log into the database file
        try write(100) // the log starts over from its beginning: it does not grow past what it was
        #expect(size("-wal") <= grown)
        checkpointer.stop()
        #expect(size("-wal") == 0)
        #expect(try writer.scalarInt("SELECT count(*) FROM t") == 2_100)
    }
}
