import Assets
import Foundation
import Logging
import SQLiteDB
import Storage
import Testing
@testable import Alerts

/// The notifier's delivery results are recorded by the ingest writer, in its batches: committed with a batch,
/// given back when a batch rolls back, and told to the notifier once committed.
struct DeliveryLogTests {
    @Test("an attempt handed over is written by the next batch, even one without readings; a rolled-back batch gives it back")
    func recordedByTheWritersBatch() throws {
        let database = try TestDatabase()
        let db = database.connection
        let store = AlertStore(connection: db, channels: ["astreinte"])
        let alert = try #require(try store.raise(AlertCause(assetID: "A", ruleID: "r", severity: .warning, since: 0, raisedAt: 0, message: "m")))
        let row = try #require(try db.scalarInt("SELECT id FROM alert_outbox WHERE alert_id = \(alert.id)"))
        let log = DeliveryLog()
        let evaluator = RuleEvaluator(rules: AlertRuleSet(), assets: [], timeZone: TimeZone(identifier: "Europe/Paris")!,
                                      logger: Logger(label: "test"), channels: ["astreinte"], deliveries: log)
        #expect(!evaluator.hasPendingWrites)
        log.add(DeliveryAttempt(id: row, alert: alert.id, event: "opened", channel: "astreinte", attempts: 1, time: 5_000, failure: nil,
                                abandoned: false, nextAttemptAt: 6_000))
        #expect(evaluator.hasPendingWrites)

        // A batch that fails: nothing recorded, the attempt waits for the next one.
        try db.execute("BEGIN IMMEDIATE")
        try evaluator.batchWillCommit([], db: db)
        try db.execute("ROLLBACK")
        evaluator.batchDidRollBack()
        #expect(evaluator.hasPendingWrites)
        #expect(try db.scalarInt("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NOT NULL") == 0)

        try commitBatch(evaluator, [], on: db)
        #expect(!evaluator.hasPendingWrites)
        #expect(try db.scalarInt("SELECT count(*) FROM alert_outbox WHERE delivered_at = 5000 AND attempts = 1") == 1)
        #expect(log.takeRecorded().map(\.id) == [row])
    }
}
