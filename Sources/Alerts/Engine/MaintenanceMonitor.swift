import SQLiteDB

/// After a maintenance: the alerts of its assets still unresolved that were never notified (opened while it
/// lasted) are notified now. Run by `AlertScheduler`.
public struct MaintenanceMonitor: Sendable {
    let calendar: MaintenanceCalendar

    public init(calendar: MaintenanceCalendar) {
        self.calendar = calendar
    }

    public func evaluate(db: Connection, channels: [String], now: Int64) throws -> [Alert] {
        guard !channels.isEmpty else { return [] }
        let store = AlertStore(connection: db, channels: channels)
        return try store.unnotified().compactMap { alert in
            guard calendar.hadMaintenance(alert.assetID, before: now), calendar.period(of: alert.assetID, at: now) == nil else { return nil }
            return try store.notifyAfterMaintenance(alert, at: now)
        }
    }
}
