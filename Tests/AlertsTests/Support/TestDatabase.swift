import Foundation
import SQLiteDB
import Storage
@testable import Alerts

/// A migrated gateway database in a temporary file, removed when the test ends.
final class TestDatabase {
    let path = NSTemporaryDirectory() + "pmc-alerts-\(UUID().uuidString.prefix(8)).sqlite"
    let connection: Connection
    init() throws { connection = try Schema.open(path: path) }
    deinit { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
}

/// One committed batch of readings through `evaluator`, as the writer runs it.
func commitBatch(_ evaluator: RuleEvaluator, _ readings: [ObservedReading], on db: Connection) throws {
    try db.execute("BEGIN IMMEDIATE")
    try evaluator.batchWillCommit(readings, db: db)
    try db.execute("COMMIT")
    evaluator.batchDidCommit()
}
