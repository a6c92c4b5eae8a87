import Alerts
import ArgumentParser
import Assets
import Foundation
import Storage

struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devices", abstract: "List devices: declared ones and pending (heard from but not in the inventory).")

    @OptionGroup var options: ConfigOptions
    @Flag(help: "Only devices not in the inventory.") var pending = false
    @Flag(help: "Only declared devices that missed at least 3 reports of their profile's interval.") var silent = false
    @Option(help: "Output: table, json or csv.") var format: OutputFormat = .table

    func run() async throws {
        let config = try GatewayContext.loadConfig(options.config)
        let zone = GatewayContext.timeZone(config)
        let queries = GatewayQueries(connection: try GatewayContext.openDatabase(config))
        var rows = try queries.devices(pendingOnly: pending)
        if silent {
            let profiles = try ProfileLoader.load(directories: config.profiles)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let found = SilenceDetector().silentDevices(now: now, since: try queries.createdAt() ?? now, devices: rows, profiles: profiles)
            let keys = Set(found.map(\.deviceKey))
            rows = rows.filter { keys.contains($0.key) }
            if format == .table {
                for device in found {
                    print("\(device.deviceKey)  SILENT: \(device.missedReports) reports of \(device.expectedInterval) s missed, last seen \(GatewayContext.iso(device.lastSeen, timeZone: zone))  asset \(device.asset ?? "-")")
                }
                print("\(found.count) silent device\(found.count == 1 ? "" : "s")")
                return
            }
        }
        switch format {
        case .json:
            print(try rows.jsonString())
        case .csv:
            print("device,state,profile,asset,last_seen,messages,pending_messages,status,unmapped_fields")
            for row in rows {
                print([row.key, row.isPending ? "pending" : "declared", row.profile ?? "", row.asset ?? "",
                       GatewayContext.iso(row.lastSeen, timeZone: zone), "\(row.messageCount)", "\(row.pendingMessages)",
                       row.status ?? "", row.unmappedFields ?? ""].map(csvCell).joined(separator: ","))
            }
        case .table:
            for row in rows {
                let state = row.isPending ? "PENDING (\(row.pendingMessages) messages kept; declare it in the inventory)" : "\(row.profile ?? "") → \(row.asset ?? "unbound")"
                let heard = row.lastSeen.map { "last seen \(GatewayContext.iso($0, timeZone: zone)), \(row.messageCount) messages" } ?? "never heard from"
                var line = "\(row.key)  \(state)  \(heard)"
                if let status = row.status { line += "  \(status)" }
                if let unmapped = row.unmappedFields, !row.isPending { line += "  unmapped: \(unmapped)" }
                print(line)
            }
            print("\(rows.count) device\(rows.count == 1 ? "" : "s"), \(rows.filter(\.isPending).count) pending")
        }
    }
}
