import ArgumentParser
import Foundation
import Storage

extension RollupPeriod: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

struct RollupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollups",
        abstract: "Hourly, daily or monthly aggregates (count, mean, min, max, consumption) on the commune's calendar.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Asset id.") var asset: String?
    @Option(help: "Device id.") var device: String?
    @Flag(help: "Commune-wide totals per domain instead of one asset.") var byDomain = false
    @Option(help: "Metric (energy_import, water_volume, temperature…).") var metric: String
    @Option(help: "hour, day or month.") var period: RollupPeriod = .day
    @Option(help: "Start (inclusive), in the commune's zone: 2026-01-01, 2026-01-31T08:00, RFC 3339.") var from: String
    @Option(help: "End (exclusive), same forms.") var to: String
    @Option(help: "Output: table, json or csv.") var format: OutputFormat = .table

    func validate() throws {
        if !byDomain && asset == nil && device == nil { throw ValidationError("give --asset, --device or --by-domain") }
    }

    func run() async throws {
        let config = try GatewayContext.loadConfig(options.config)
        let zone = GatewayContext.timeZone(config)
        let queries = GatewayQueries(connection: try GatewayContext.openDatabase(config))
        let start = try GatewayContext.parseTime(from, timeZone: zone, option: "--from")!
        let end = try GatewayContext.parseTime(to, timeZone: zone, option: "--to")!
        let rows = byDomain
            ? try queries.domainTotals(metric: metric, period: period, from: start, to: end)
            : try queries.rollups(asset: asset, device: device, metric: metric, period: period, from: start, to: end)
        switch format {
        case .json:
            print(try rows.jsonString())
        case .csv:
            print("start,domain,metric,unit,count,mean,min,max,consumption")
            for row in rows {
                print([GatewayContext.iso(row.bucketStart, timeZone: zone), row.domain ?? "", row.metric, row.unit, "\(row.count)",
                       "\(row.mean)", "\(row.min)", "\(row.max)", row.consumption.map { "\($0)" } ?? ""].map(csvCell).joined(separator: ","))
            }
        case .table:
            for row in rows {
                var line = "\(GatewayContext.iso(row.bucketStart, timeZone: zone))  "
                if let domain = row.domain { line += "\(domain)  " }
                line += "n=\(row.count)  mean \(row.mean)  min \(row.min)  max \(row.max) \(row.unit)"
                if let consumption = row.consumption { line += "  consumption \(consumption) \(row.unit)" }
                print(line)
            }
            print("\(rows.count) period\(rows.count == 1 ? "" : "s")")
        }
    }
}
