import Assets
import Foundation
import SQLiteDB
import Storage
import Testing
@testable import Alerts

struct SilenceMonitorTests {
    let minute: Int64 = 60_000
    let now: Int64 = 1_768_204_800_000   // 2026-01-12 08:00 UTC
    let assets = [
        Asset(id: "ARMOIRE-A", name: "Armoire A", type: .controlCabinet, domain: .eclairage, address: "rue des Lilas"),
        Asset(id: "PL-1", name: "Point lumineux 1", type: .lightPoint, domain: .eclairage, parent: "ARMOIRE-A"),
        Asset(id: "PL-2", name: "Point lumineux 2", type: .lightPoint, domain: .eclairage, parent: "ARMOIRE-A"),
        Asset(id: "ECOLE-CP", name: "Classe de CP", type: .room, domain: .batiments, parent: "ECOLE"),
        Asset(id: "ECOLE-CE1", name: "Classe de CE1", type: .room, domain: .batiments, parent: "ECOLE"),
    ]
    let profiles = [
        "lamp": DeviceProfile(id: "lamp", name: "Nœud D4i", category: "street_light_controller", reportingInterval: 900, metrics: []),
        "room": DeviceProfile(id: "room", name: "Capteur", category: "room_sensor", reportingInterval: 600, metrics: []),
    ]

    func monitor(fold: Bool = true) -> SilenceMonitor {
        SilenceMonitor(rule: SilenceRule(missedReports: 3, severity: "warning", foldIntoParent: fold), assets: assets, profiles: profiles,
                       timeZone: TimeZone(identifier: "Europe/Paris")!)
    }

    /// Devices with the time they were last heard from, in minutes before `now`.
    func devices(_ db: Connection, _ entries: [(key: String, profile: String, asset: String, minutesAgo: Int64)]) throws {
        for entry in entries {
            try db.run("INSERT INTO devices (key, profile, asset_id, declared, last_seen) VALUES (?, ?, ?, 1, ?) ON CONFLICT(key) DO UPDATE SET last_seen = excluded.last_seen",
                       entry.key, entry.profile, entry.asset, now - entry.minutesAgo * minute)
        }
    }

    func evaluate(_ monitor: SilenceMonitor, _ db: Connection, at time: Int64? = nil) throws -> [Alert] {
        try db.transaction { try monitor.evaluate(db: db, channels: ["astreinte"], now: time ?? now, since: now - 24 * 60 * minute) }
    }

    @Test("a device silent for 3 of its own intervals raises one alert on its asset; others are judged on theirs")
    func ownInterval() throws {
        let database = try TestDatabase()
        // The CP sensor (10 min) missed 3 reports; the lamp (15 min) heard 40 min ago missed only 2.
        try devices(database.connection, [("cp", "room", "ECOLE-CP", 31), ("ce1", "room", "ECOLE-CE1", 5), ("pl1", "lamp", "PL-1", 40), ("pl2", "lamp", "PL-2", 1)])
        let changes = try evaluate(monitor(), database.connection)
        #expect(changes.map(\.assetID) == ["ECOLE-CP"])
        let alert = try #require(changes.first)
        #expect(alert.ruleID == "silence" && alert.value == 3 && alert.since == now - 31 * minute)
        #expect(alert.message == "Équipement silencieux — Classe de CP : cp n'a rien envoyé depuis le 12/01/2026 08:29 (3 relevés manqués ; un relevé attendu toutes les 10 min).")
        #expect(try evaluate(monitor(), database.connection).isEmpty)   // still silent: nothing new
        #expect(try database.connection.scalarInt("SELECT count(*) FROM alert_outbox") == 1)
    }

    @Test("every light point of a cabinet silent: one alert on the cabinet, the points' own alerts folded into it; all resolve when they report")
    func foldsIntoParent() throws {
        let database = try TestDatabase()
        let db = database.connection
        try devices(db, [("pl1", "lamp", "PL-1", 50), ("pl2", "lamp", "PL-2", 5)])
        #expect(try evaluate(monitor(), db).map(\.assetID) == ["PL-1"])
        try devices(db, [("pl2", "lamp", "PL-2", 60)])
        let changes = try evaluate(monitor(), db)
        #expect(Set(changes.map { "\($0.assetID) \($0.ruleID) \($0.state.rawValue)" }) == ["ARMOIRE-A silence-enfants open", "PL-1 silence resolved"])
        let cabinet = try #require(changes.first { $0.assetID == "ARMOIRE-A" })
        #expect(cabinet.message.hasPrefix("Tous les équipements sous Armoire A (rue des Lilas) sont silencieux (2 actifs)"))
        #expect(changes.first { $0.assetID == "PL-1" }?.resolution?.comment == "Regroupée dans l'alerte de Armoire A.")
        // One point comes back: the cabinet is not all silent any more; the other point gets its own alert.
        try devices(db, [("pl1", "lamp", "PL-1", 1)])
        let after = try evaluate(monitor(), db)
        #expect(Set(after.map { "\($0.assetID) \($0.ruleID) \($0.state.rawValue)" }) == ["ARMOIRE-A silence-enfants resolved", "PL-2 silence open"])
        try devices(db, [("pl2", "lamp", "PL-2", 0)])
        #expect(try evaluate(monitor(), db).map { "\($0.assetID) \($0.state.rawValue)" } == ["PL-2 resolved"])
        #expect(try AlertStore(connection: db).alerts().isEmpty)
    }

    @Test("without folding, each silent child has its own alert")
    func withoutFolding() throws {
        let database = try TestDatabase()
        try devices(database.connection, [("pl1", "lamp", "PL-1", 50), ("pl2", "lamp", "PL-2", 60)])
        #expect(try evaluate(monitor(fold: false), database.connection).map(\.assetID).sorted() == ["PL-1", "PL-2"])
    }
}
