import ArgumentParser
import Assets

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration, the inventory and the device profiles; report every error with file and line.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let issues = Checker.check(configPath: options.config, formats: GatewayContext.formats)
        if issues.isEmpty {
            print("OK: \(options.config), its inventory and profiles are valid.")
            return
        }
        for issue in issues { print(issue) }
        print("\(issues.count) problem\(issues.count == 1 ? "" : "s") found.")
        throw ExitCode(1)
    }
}
