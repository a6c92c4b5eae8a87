import Foundation
import Testing
@testable import Assets

@Suite("Inventory loader")
struct InventoryLoaderTests {
    private let domains = "eclairage, batiments, eau, energie, petite_enfance, equipements_sportifs, espaces_verts, environnement, mobilite, assainissement"

    @Test("YAML assets, devices and CSV imports load to exact values")
    func loadsValidInventory() throws {
        let profiles = try ProfileLoader.load(directories: [TestSupport.fixture("profiles")])
        let inventory = try InventoryLoader.load(paths: [TestSupport.fixture("inventory/main.yaml"), TestSupport.fixture("inventory/extra.yaml")],
                                                 profiles: profiles)
        #expect(inventory.assets.map(\.id) == ["MAIRIE", "MAIRIE-SALLE-CONSEIL", "AR-01", "EP-001", "EP-002", "EP-003", "ECOLE"])
        #expect(inventory.asset("MAIRIE") == Asset(
            id: "MAIRIE", name: "Mairie", type: .building, domain: .batiments, parent: nil,
            address: "1 place de la Mairie, 38000 Saint-Exemple", coordinates: Coordinates(latitude: 45.1, longitude: 4.2),
            attributes: ["surface_m2": .number(450), "prm": .text("12345678901234"), "heated": .bool(true), "heating": .text("gaz")]))
        #expect(inventory.asset("MAIRIE-SALLE-CONSEIL") == Asset(id: "MAIRIE-SALLE-CONSEIL", name: "Salle du conseil", type: .room,
                                                                 domain: .batiments, parent: "MAIRIE"))
        #expect(inventory.asset("AR-01") == Asset(id: "AR-01", name: "AR-01", type: .controlCabinet, domain: .eclairage))
        #expect(inventory.asset("ECOLE") == Asset(id: "ECOLE", name: "École", type: .building, domain: .batiments))

        #expect(inventory.devices == [
            DeviceBinding(id: "a84041000181c0b2", profile: "dragino-lht65", asset: "MAIRIE-SALLE-CONSEIL", name: "LHT65 conseil"),
            DeviceBinding(id: "tasmota-linky", profile: "tasmota-pow", asset: "MAIRIE"),
            DeviceBinding(id: "spare-sensor", profile: "dragino-lht65", asset: nil),
            DeviceBinding(id: "70b3d59ba0001001", profile: "zhaga-node", asset: "EP-001", name: "Nœud EP-001"),
            DeviceBinding(id: "70b3d59ba0001002", profile: "zhaga-node", asset: "EP-002"),
        ])
    }

    @Test("CSV cells become typed attributes; quoted cells, blank lines and empty cells are handled")
    func csvImport() throws {
        let inventory = try InventoryLoader.load(paths: [TestSupport.fixture("inventory/main.yaml")])
        #expect(inventory.asset("EP-001") == Asset(
            id: "EP-001", name: "Grande Rue 1", type: .lightPoint, domain: .eclairage, parent: "AR-01", address: "2, Grande Rue",
            coordinates: Coordinates(latitude: 45.1001, longitude: 4.2001),
            attributes: ["nominal_power_w": .number(70), "lamp_technology": .text("shp"), "dimmable": .bool(false), "postcode": .text("07100")]))
        #expect(inventory.asset("EP-002") == Asset(
            id: "EP-002", name: "EP-002", type: .lightPoint, domain: .eclairage, parent: "AR-01",
            attributes: ["nominal_power_w": .number(39.5), "lamp_technology": .text("led"), "dimmable": .bool(true),
                         "postcode": .text("07100"), "notes": .text("says \"hello\"")]))
        #expect(inventory.asset("EP-003")?.attributes == ["lamp_technology": .text("led"), "dimmable": .bool(true)])
    }

    @Test("Text cells are typed: booleans, plain numbers, identifiers with leading zeros or 10+ digits stay text")
    func attributeTyping() {
        #expect(InventoryVocabulary.attribute(fromText: "70") == .number(70))
        #expect(InventoryVocabulary.attribute(fromText: "-3.5") == .number(-3.5))
        #expect(InventoryVocabulary.attribute(fromText: "12,5", decimalComma: true) == .number(12.5))
        #expect(InventoryVocabulary.attribute(fromText: "12,5") == .text("12,5"))
        #expect(InventoryVocabulary.attribute(fromText: "false") == .bool(false))
        #expect(InventoryVocabulary.attribute(fromText: "07100") == .text("07100"))
        #expect(InventoryVocabulary.attribute(fromText: "12345678901234") == .text("12345678901234"))
        #expect(InventoryVocabulary.attribute(fromText: "0.5") == .number(0.5))
        #expect(InventoryVocabulary.attribute(fromText: "LED 4000K") == .text("LED 4000K"))
    }

    @Test("Duplicate asset and device ids are reported with both locations, across YAML and CSV files")
    func duplicates() throws {
        let folder = try TestSupport.folder([
            "a.yaml": """
                assets:
                  - {id: MAIRIE, type: building, domain: batiments}
                devices:
                  - {id: "A84041000181C0B2", profile: p}
                """,
            "b.yaml": """
                assets:
                  - {id: MAIRIE, type: building, domain: batiments}
                import:
                  - {file: devices.csv, kind: devices}
                """,
            "devices.csv": "id,profile\na8-40-41-00-01-81-c0-b2,p\n",
        ])
        let issues = TestSupport.issues { try InventoryLoader.load(paths: ["\(folder)/a.yaml", "\(folder)/b.yaml"]) }
        #expect(issues == [
            ValidationIssue(file: "\(folder)/b.yaml", line: 2,
                            message: "duplicate asset id 'MAIRIE': already declared at \(folder)/a.yaml:2; asset ids must be unique across all inventory files"),
            ValidationIssue(file: "\(folder)/devices.csv", line: 2,
                            message: "duplicate device id 'a84041000181c0b2': already declared at \(folder)/a.yaml:4; a device can be bound only once"),
        ])
    }

    @Test("Unknown parents, self-parents and parent cycles are reported")
    func parents() throws {
        let folder = try TestSupport.folder(["inv.yaml": """
            assets:
              - {id: ECOLE, type: building, domain: batiments}
              - {id: CLASSE-1, type: room, domain: batiments, parent: ECOL}
              - {id: A, type: site, domain: eau, parent: B}
              - {id: B, type: site, domain: eau, parent: C}
              - {id: C, type: site, domain: eau, parent: A}
              - {id: SELF, type: site, domain: eau, parent: SELF}
            """])
        let file = "\(folder)/inv.yaml"
        let issues = TestSupport.issues { try InventoryLoader.load(paths: [file]) }
        #expect(issues == [
            ValidationIssue(file: file, line: 3, message: "asset 'CLASSE-1' has unknown parent 'ECOL' (did you mean 'ECOLE'?): declare that asset or fix the id"),
            ValidationIssue(file: file, line: 4, message: "parent cycle: A → B → C → A; an asset cannot contain itself: fix one of these 'parent' values"),
            ValidationIssue(file: file, line: 7, message: "asset 'SELF' names itself as parent: remove 'parent' or name the enclosing asset"),
        ])
    }

    @Test("Unknown types and domains are reported at their lines with the expected values")
    func vocabulary() throws {
        let folder = try TestSupport.folder(["inv.yaml": """
            assets:
              - id: EP-1
                type: light_pont
                domain: eclairge
            """])
        let file = "\(folder)/inv.yaml"
        let issues = TestSupport.issues { try InventoryLoader.load(paths: [file]) }
        #expect(issues.count == 2)
        #expect(issues[0].line == 3)
        #expect(issues[0].message.hasPrefix("unknown asset type 'light_pont' (did you mean 'light_point'? expected one of: light_point, control_cabinet,"))
        #expect(issues[1] == ValidationIssue(file: file, line: 4, message: "unknown domain 'eclairge' (did you mean 'eclairage'? expected one of: \(domains))"))
    }

    @Test("Coordinates must be in range and come in pairs")
    func coordinates() throws {
        let folder = try TestSupport.folder([
            "inv.yaml": """
                assets:
                  - {id: A, type: site, domain: eau, latitude: 95, longitude: 4.2}
                  - id: B
                    type: site
                    domain: eau
                    latitude: 45.1
                import:
                  - {file: points.csv, kind: assets}
                """,
            "points.csv": "id;type;domain;latitude;longitude\nP1;light_point;eclairage;45,1;4,2\nP2;light_point;eclairage;45,1;200\n",
        ])
        let issues = TestSupport.issues { try InventoryLoader.load(paths: ["\(folder)/inv.yaml"]) }
        #expect(issues == [
            ValidationIssue(file: "\(folder)/inv.yaml", line: 2, message: "'latitude' must be between -90 and 90, got 95"),
            ValidationIssue(file: "\(folder)/inv.yaml", line: 6, message: "asset 'B' has a latitude but no longitude: give both or neither"),
            ValidationIssue(file: "\(folder)/points.csv", line: 3, message: "'longitude' must be between -180 and 180, got 200"),
        ])
    }

    @Test("Semicolon-separated CSV files accept decimal commas")
    func semicolonCSV() throws {
        let folder = try TestSupport.folder([
            "inv.yaml": "import:\n  - {file: points.csv, kind: assets}\n",
            "points.csv": "id;type;domain;latitude;longitude;nominal_power_w\nP1;light_point;eclairage;45,1;4,25;70,5\n",
        ])
        let inventory = try InventoryLoader.load(paths: ["\(folder)/inv.yaml"])
        #expect(inventory.assets == [Asset(id: "P1", name: "P1", type: .lightPoint, domain: .eclairage,
                                           coordinates: Coordinates(latitude: 45.1, longitude: 4.25),
                                           attributes: ["nominal_power_w": .number(70.5)])])
    }

    @Test("CSV problems are reported at the row's line, counting the header, blank and comment lines")
    func csvErrors() throws {
        let folder = try TestSupport.folder([
            "inv.yaml": """
                import:
                  - {file: points.csv, kind: assets}
                  - {file: nocolumns.csv, kind: assets}
                  - {file: devices.csv, kind: devices}
                  - {file: missing.csv, kind: assets}
                  - {file: points.csv, kind: lights}
                """,
            "points.csv": """
                id,name,type,domain
                P1,Point 1,light_point,eclairage

                # Route de Valence
                P2,Point 2,lamp,eclairage
                P3,"Point 3,light_point,eclairage
                P4,Point 4,light_point,eclairage,extra
                ,Point 5,light_point,eclairage
                P6,"Point "6"",light_point,eclairage
                """,
            "nocolumns.csv": "id,name\nX,Y\n",
            "devices.csv": "id,profile,room\nabc,p,R1\n",
        ])
        let issues = TestSupport.issues { try InventoryLoader.load(paths: ["\(folder)/inv.yaml"]) }
        let points = "\(folder)/points.csv"
        #expect(issues.count == 9)
        #expect(issues.filter { $0.file == points }.map(\.line) == [5, 6, 7, 8, 9])
        #expect(issues.first { $0.line == 5 }?.message.hasPrefix("unknown asset type 'lamp'") == true)
        #expect(issues.first { $0.line == 6 }?.message.hasPrefix("a quoted cell is not closed on this line") == true)
        #expect(issues.first { $0.line == 7 }?.message.hasPrefix("row has 5 cells but the header has 4 columns") == true)
        #expect(issues.first { $0.line == 8 }?.message.hasPrefix("missing 'id' in this row") == true)
        #expect(issues.first { $0.line == 9 }?.message.hasPrefix("malformed CSV line") == true)
        #expect(issues.first { $0.file == "\(folder)/nocolumns.csv" } == ValidationIssue(
            file: "\(folder)/nocolumns.csv", line: 1,
            message: "missing columns 'type', 'domain' in the header: assets CSV files need the columns id, type, domain"))
        #expect(issues.first { $0.file == "\(folder)/devices.csv" } == ValidationIssue(
            file: "\(folder)/devices.csv", line: 1,
            message: "unknown column 'room' in a devices CSV (expected one of: id, profile, asset, name)"))
        #expect(issues.contains { $0.file == "\(folder)/inv.yaml" && $0.line == 5 && $0.message == "imported file not found: \(folder)/missing.csv" })
        #expect(issues.contains { $0.file == "\(folder)/inv.yaml" && $0.line == 6 && $0.message.hasPrefix("unknown import kind 'lights'") })
    }

    @Test("Devices must be bound to declared assets and, when profiles are given, to known profiles")
    func deviceReferences() throws {
        let folder = try TestSupport.folder(["inv.yaml": """
            assets:
              - {id: MAIRIE, type: building, domain: batiments}
            devices:
              - {id: d1, profile: dragino-lht65, asset: MAIRE}
              - {id: d2, profile: dragino-lht6, asset: MAIRIE}
            """])
        let file = "\(folder)/inv.yaml"
        let profiles = try ProfileLoader.load(directories: [TestSupport.fixture("profiles")])
        #expect(TestSupport.issues { try InventoryLoader.load(paths: [file]) } == [
            ValidationIssue(file: file, line: 4, message: "device 'd1' is bound to unknown asset 'MAIRE' (did you mean 'MAIRIE'?): declare the asset or fix the id"),
        ])
        let issues = TestSupport.issues { try InventoryLoader.load(paths: [file], profiles: profiles) }
        #expect(issues.count == 2)
        #expect(issues[1] == ValidationIssue(file: file, line: 5,
                                             message: "device 'd2' uses unknown profile 'dragino-lht6' (did you mean 'dragino-lht65'?): profiles are the 'id' of the files in the profiles folders"))
    }

    @Test("Missing required keys and unknown keys are reported at the entry's line")
    func requiredAndUnknownKeys() throws {
        let folder = try TestSupport.folder(["inv.yaml": """
            assets:
              - name: Sans identifiant
                type: room
                domain: batiments
              - {id: X, type: room, domain: batiments, parnet: Y}
            devices:
              - {id: d1}
            asets: []
            """])
        let file = "\(folder)/inv.yaml"
        let issues = TestSupport.issues { try InventoryLoader.load(paths: [file]) }
        #expect(issues.map(\.line) == [2, 5, 7, 8])
        #expect(issues[0].message == "missing 'id' in asset 1: a unique identifier such as MAIRIE or EP-A1-001")
        #expect(issues[1].message.hasPrefix("unknown key 'parnet' in asset 'X' (did you mean 'parent'?"))
        #expect(issues[2].message == "missing 'profile' in device 'd1': the id of a device profile, e.g. dragino-lht65")
        #expect(issues[3].message.hasPrefix("unknown key 'asets' in the inventory file (did you mean 'assets'?"))
    }
}
