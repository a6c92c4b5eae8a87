import ArgumentParser
import Foundation
import Storage

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Ingest counters and table sizes.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Output: table or json.") var format: OutputFormat = .table

    func run() async throws {
        let config = try GatewayContext.loadConfig(options.config)
        let stats = try GatewayQueries(connection: try GatewayContext.openDatabase(config)).stats()
        if format == .json {
            print(try stats.jsonString())
            return
        }
        for key in stats.keys.sorted() {
            print("\(key.padding(toLength: 32, withPad: " ", startingAt: 0)) \(stats[key]!)")
        }
    }
}
