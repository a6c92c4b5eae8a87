import Foundation
import Testing
@testable import Assets

@Suite("Checker")
struct CheckerTests {
    private var examples: String {
        TestSupport.packageRoot().appendingPathComponent("examples/config.yaml").path
    }

    @Test("The example commune passes every check with the bundled profiles")
    func exampleCommuneIsValid() {
        let issues = Checker.check(configPath: examples, formats: TestSupport.formats)
        #expect(issues == [], "\(issues.map(\.description).joined(separator: "\n"))")
    }

    @Test("The example commune loads its buildings, lighting and water network")
    func exampleCommuneContents() throws {
        let setup = try Checker.load(configPath: examples, formats: TestSupport.formats)
        let inventory = setup.inventory
        #expect(setup.config.commune.name == "Saint-Exemple-sur-Rhône")
        #expect(setup.config.profiles == [TestSupport.packageRoot().appendingPathComponent("devices").standardizedFileURL.path])
        let lightPoints = inventory.assets.filter { $0.type == .lightPoint }
        #expect(lightPoints.count == 120)
        #expect(Set(lightPoints.compactMap(\.parent)) == ["AR-01", "AR-02", "AR-03"])
        #expect(lightPoints.allSatisfy { if case .number = $0.attributes["nominal_power_w"] { true } else { false } })
        #expect(inventory.assets.filter { $0.type == .room && $0.parent == "ECOLE" }.count == 3)
        #expect(inventory.asset("GYMNASE-BOUCLE-ECS")?.type == .hotWaterLoop)
        #expect(inventory.assets.filter { $0.type == .controlCabinet }.count == 3)
        #expect(inventory.assets.filter { $0.type == .waterSector }.count == 2)
        // Every device uses a bundled profile, and DevEUIs written in capitals or with dashes were normalised.
        #expect(inventory.devices.allSatisfy { setup.profiles[$0.profile] != nil })
        #expect(inventory.device("a84041000181c107")?.asset == "GYMNASE-VESTIAIRES")
        #expect(inventory.device("70b3d5e75e00a1c4")?.asset == "AR-03-COMPTEUR")
        #expect(inventory.device("a84041000181c0ff")?.asset == nil)
    }

    @Test("A broken installation reports issues from the configuration, the profiles and the inventory")
    func reportsAcrossFiles() {
        let config = TestSupport.fixture("setup/config.yaml")
        let issues = Checker.check(configPath: config, formats: TestSupport.formats)
        #expect(issues.map(\.file) == [config, TestSupport.fixture("setup/profiles/bad.yaml"), TestSupport.fixture("setup/inventory.yaml")])
        #expect(issues.map(\.line) == [3, 6, 5])
        #expect(issues[0].message.hasPrefix("invalid topic filter 'a/#/b'"))
        #expect(issues[1].message.hasPrefix("unknown unit 'kelvins'"))
        // dev-1 uses the profile that failed to load: already reported, so not repeated; dev-2's profile does not exist.
        #expect(issues[2].message.hasPrefix("device 'dev-2' uses unknown profile 'no-such-profile'"))
        #expect(throws: ValidationFailed.self) { try Checker.load(configPath: config, formats: TestSupport.formats) }
    }

    @Test("A configuration that cannot be read is the only issue")
    func unreadableConfiguration() {
        let issues = Checker.check(configPath: "/nonexistent/config.yaml", formats: TestSupport.formats)
        #expect(issues.count == 1)
        #expect(issues.first?.line == nil)
    }
}
