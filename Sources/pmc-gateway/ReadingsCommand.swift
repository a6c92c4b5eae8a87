import ArgumentParser
import Foundation
import Storage

struct ReadingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "readings", abstract: "Print stored readings of an asset or a device.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Asset id.") var asset: String?
    @Option(help: "Device id (DevEUI, friendly name, Tasmota topic…).") var device: String?
    @Option(help: "Metric (temperature, energy_import, co2…).") var metric: String?
    @Option(help: "Start (inclusive): 2026-01-31, 2026-01-31T08:00, RFC 3339; local times in the commune's zone.") var from: String?
    @Option(help: "End (exclusive), same forms as --from.") var to: String?
    @Option(help: "Maximum rows.") var limit: Int = 100_000
    @Flag(help: "Only the latest value of each series.") var latest = false
    @Option(help: "Output: table, json or csv.") var format: OutputFormat = .table

    func validate() throws {
        if asset == nil && device == nil { throw ValidationError("give --asset or --device") }
    }

    func run() async throws {
        let config = try GatewayContext.loadConfig(options.config)
        let zone = GatewayContext.timeZone(config)
        let queries = GatewayQueries(connection: try GatewayContext.openDatabase(config))
        let rows = latest
            ? try queries.latest(device: device, asset: asset).filter { metric == nil || $0.metric == metric }
            : try queries.readings(device: device, asset: asset, metric: metric,
                                   from: try GatewayContext.parseTime(from, timeZone: zone, option: "--from"),
                                   to: try GatewayContext.parseTime(to, timeZone: zone, option: "--to"), limit: limit)
        switch format {
        case .json:
            print(try rows.jsonString())
        case .csv:
            print("time,device,asset,metric,value,unit")
            for row in rows {
                print([GatewayContext.iso(row.time, timeZone: zone), row.device, row.asset ?? "", row.metric, "\(row.value)", row.unit].map(csvCell).joined(separator: ","))
            }
        case .table:
            for row in rows {
                print("\(GatewayContext.iso(row.time, timeZone: zone))  \(row.device)  \(row.asset ?? "-")  \(row.metric) = \(row.value) \(row.unit)")
            }
            print("\(rows.count) reading\(rows.count == 1 ? "" : "s")")
        }
    }
}
