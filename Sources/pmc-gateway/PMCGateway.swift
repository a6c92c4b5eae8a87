import ArgumentParser

@main
struct PMCGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pmc-gateway",
        abstract: "IoT gateway and asset diagnostic for French communes.",
        discussion: "Reads the readings of the commune's devices from MQTT, stores them in SQLite linked to the asset inventory.",
        subcommands: [RunCommand.self, CheckCommand.self, ReadingsCommand.self, DevicesCommand.self,
                      RejectedCommand.self, StatsCommand.self, RollupsCommand.self, AlertsCommand.self]
    )
}
