import ArgumentParser
import Foundation
import Storage

struct RejectedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rejected", abstract: "List messages that could not be decoded or stored, with the reason.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Only since this time (same forms as readings --from).") var since: String?
    @Option(help: "Maximum rows (newest first).") var limit: Int = 50
    @Option(help: "Output: table, json or csv.") var format: OutputFormat = .table

    func run() async throws {
        let config = try GatewayContext.loadConfig(options.config)
        let zone = GatewayContext.timeZone(config)
        let rows = try GatewayQueries(connection: try GatewayContext.openDatabase(config))
            .rejected(since: try GatewayContext.parseTime(since, timeZone: zone, option: "--since"), limit: limit)
        switch format {
        case .json:
            print(try rows.jsonString())
        case .csv:
            print("id,received_at,subscription,topic,reason,payload_size,payload")
            for row in rows {
                print(["\(row.id)", GatewayContext.iso(row.receivedAt, timeZone: zone), row.subscription, row.topic, row.reason,
                       "\(row.payloadSize)", row.payload].map(csvCell).joined(separator: ","))
            }
        case .table:
            for row in rows {
                print("#\(row.id) \(GatewayContext.iso(row.receivedAt, timeZone: zone)) [\(row.subscription)] \(row.topic)")
                print("    reason:  \(row.reason)")
                print("    payload: \(row.payload.prefix(200))\(row.payload.count > 200 ? "…" : "") (\(row.payloadSize) bytes)")
            }
            print("\(rows.count) rejected message\(rows.count == 1 ? "" : "s") shown")
        }
    }
}
