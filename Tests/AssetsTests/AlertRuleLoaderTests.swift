import Foundation
import Testing
@testable import Assets

struct AlertRuleLoaderTests {
    let assets = [
        Asset(id: "ECOLE-CP", name: "Classe de CP", type: .room, domain: .batiments),
        Asset(id: "CRECHE-DORTOIR", name: "Dortoir", type: .room, domain: .petiteEnfance),
        Asset(id: "BOUCLE-ECS", name: "Boucle ECS du gymnase", type: .hotWaterLoop, domain: .equipementsSportifs),
    ]
    let metrics: Set<String> = ["co2", "temperature"]

    func load(_ yaml: String) throws -> (AlertRuleSet, [ValidationIssue], String) {
        let folder = try TestSupport.folder(["alerts.yaml": yaml])
        let path = folder + "/alerts.yaml"
        let log = IssueLog()
        let set = AlertRuleLoader.read(paths: [path], assets: assets, metrics: metrics, log: log)
        return (set, log.issues, path)
    }

    @Test("rules with durations, hysteresis and defaults, and overrides applied to the assets they name")
    func loadsRulesAndOverrides() throws {
        let (set, issues, path) = try load("""
            rules:
              - id: co2-aerer
                name: "CO₂ élevé : aérer"
                metric: co2
                asset_types: [room]
                above: 800
                for: 10m
                clear_below: 700
                severity: info
              - id: ecs
                name: "Boucle ECS froide"
                metric: temperature
                domains: [equipements_sportifs]
                below: 50
                for: 1h30m
            overrides:
              - {asset: CRECHE-DORTOIR, rule: co2-aerer, above: 650}
              - {asset: ECOLE-CP, rule: co2-aerer, enabled: false}
            """)
        #expect(issues == [])
        #expect(set.rules.count == 2)
        let co2 = try #require(set.rules.first)
        #expect(co2.direction == .above && co2.level == 800 && co2.duration == 600 && co2.clearLevel == 700 && co2.clearDuration == 600)
        #expect(co2.origin == "\(path):2")
        let ecs = set.rules[1]
        #expect(ecs.direction == .below && ecs.clearLevel == 50 && ecs.duration == 5_400 && ecs.severity == "warning")
        // The dormitory's override moves the level; its clearing level was set, so it stays.
        #expect(set.rules(for: assets[1]).map(\.level) == [650])
        #expect(set.rules(for: assets[1]).first?.clearLevel == 700)
        #expect(set.rules(for: assets[0]).isEmpty)                  // switched off for the CP classroom
        #expect(set.rules(for: assets[2]).map(\.id) == ["ecs"])     // by domain
    }

    @Test("mistakes are reported at their line, with what to write instead")
    func reportsMistakes() throws {
        let (set, issues, _) = try load("""
            rules:
              - id: a
                name: A
                metric: co22
                asset_types: [rooom]
                above: 800
                below: 300
              - id: b
                name: B
                metric: co2
                asset_types: [room]
                above: 800
                clear_below: 900
              - id: c
                name: C
                metric: co2
                domains: [batiments]
                above: 1500
                for: ten minutes
                severity: urgent
              - id: d
                name: D
                metric: co2
                asset_types: [room]
                above: 1000
              - id: d
                name: D again
                metric: co2
                asset_types: [room]
                above: 1000
            overrides:
              - {asset: NOPE, rule: d}
              - {asset: ECOLE-CP, rule: dd}
              - {asset: BOUCLE-ECS, rule: d, above: 10}
              - {asset: ECOLE-CP, rule: d, below: 10}
            """)
        let byLine = Dictionary(grouping: issues, by: { $0.line ?? 0 }).mapValues { $0.map(\.message).joined(separator: " | ") }
        #expect(byLine[4]?.contains("unknown metric 'co22'") == true && byLine[4]?.contains("did you mean 'co2'") == true)
        #expect(byLine[5]?.contains("unknown asset type 'rooom'") == true && byLine[5]?.contains("did you mean 'room'") == true)
        #expect(byLine[7]?.contains("both 'above' and 'below'") == true)
        #expect(byLine[13]?.contains("beyond the raising level") == true)
        #expect(byLine[19]?.contains("must be a duration") == true)
        #expect(byLine[20]?.contains("unknown severity 'urgent'") == true)
        #expect(byLine[26]?.contains("rule id 'd' is already defined") == true)
        #expect(byLine[32]?.contains("no asset 'NOPE'") == true)
        #expect(byLine[33]?.contains("unknown rule 'dd'") == true && byLine[33]?.contains("did you mean 'd'") == true)
        #expect(byLine[34]?.contains("does not watch this asset") == true)
        #expect(byLine[35]?.contains("says 'below' but the rule is 'above'") == true)
        #expect(set.rules.map(\.id) == ["d"])
        #expect(set.overrides.isEmpty)
    }

    @Test("street-lighting kinds: a share of nominal power instead of a level, switch-off hours read and checked")
    func lightingKinds() throws {
        let (set, issues, _) = try load("""
            rules:
              - {id: out, name: Éteint, kind: lamp_out, metric: co2, asset_types: [room], share: 0.3, for: 30m}
              - {id: off, name: Extinction, kind: lit_during_switch_off, metric: co2, asset_types: [room], share: 0.1, switch_off: "23:00-05:30"}
              - {id: bad1, name: X, kind: lamp_out, metric: co2, asset_types: [room], above: 10}
              - {id: bad2, name: X, kind: lit_during_switch_off, metric: co2, asset_types: [room], share: 0.1, switch_off: "23h-5h"}
              - {id: bad3, name: X, kind: lamp_off, metric: co2, asset_types: [room], share: 0.1}
            """)
        #expect(set.rules.map(\.id) == ["out", "off"])
        #expect(set.rules[0].kind == .lampOut && set.rules[0].direction == .below && set.rules[0].level == 0.3 && set.rules[0].duration == 1_800)
        #expect(set.rules[1].switchOff == AlertRuleDefinition.DailyWindow(from: 23 * 60, to: 5 * 60 + 30))
        let byLine = Dictionary(grouping: issues, by: { $0.line ?? 0 }).mapValues { $0.map(\.message).joined(separator: " | ") }
        #expect(byLine[4]?.contains("give 'share'") == true)
        #expect(byLine[5]?.contains("must be two local times") == true)
        #expect(byLine[6]?.contains("unknown kind 'lamp_off'") == true && byLine[6]?.contains("did you mean 'lamp_out'") == true)
    }

    @Test("sensor and meter kinds: rate per period, stuck for a duration with a tolerance, a plausible range, counter rollback; their mistakes at their line")
    func sensorKinds() throws {
        let (set, issues, _) = try load("""
            rules:
              - {id: chute, name: Chute, kind: rate_of_change, metric: temperature, asset_types: [room], below: -10, per: 1h, clear_above: -2}
              - {id: figee, name: Figée, kind: stuck, metric: temperature, asset_types: [room], for: 12h, tolerance: 0.05}
              - {id: impossible, name: Impossible, kind: implausible, metric: co2, asset_types: [room], min: 250, max: 10000}
              - {id: recul, name: Recul, kind: counter_rollback, metric: co2, asset_types: [room], tolerance: 0.5}
              - {id: bad1, name: X, kind: stuck, metric: temperature, asset_types: [room]}
              - {id: bad2, name: X, kind: implausible, metric: co2, asset_types: [room], above: 10000}
              - {id: bad3, name: X, kind: implausible, metric: co2, asset_types: [room], min: 500, max: 400}
              - {id: bad4, name: X, kind: threshold, metric: co2, asset_types: [room], above: 1, tolerance: 2}
              - {id: bad5, name: X, kind: implausible, metric: co2, asset_types: [room]}
              - {id: bad6, name: X, kind: counter_rollback, metric: co2, asset_types: [room], for: 1h}
            overrides:
              - {asset: ECOLE-CP, rule: figee, for: 24h}
              - {asset: ECOLE-CP, rule: impossible, above: 5}
            """)
        #expect(set.rules.map(\.id) == ["chute", "figee", "impossible", "recul"])
        let rate = set.rules[0]
        #expect(rate.kind == .rateOfChange && rate.direction == .below && rate.level == -10 && rate.clearLevel == -2 && rate.ratePer == 3_600)
        let stuck = set.rules[1]
        #expect(stuck.kind == .stuck && stuck.duration == 43_200 && stuck.tolerance == 0.05 && stuck.clearDuration == 0)
        #expect(set.rules[2].plausibleMin == 250 && set.rules[2].plausibleMax == 10_000)
        #expect(set.rules[3].kind == .counterRollback && set.rules[3].tolerance == 0.5 && !set.rules[3].kind.resolvesByItself)
        #expect(set.rules(for: assets[0]).first { $0.id == "figee" }?.duration == 86_400)
        let byLine = Dictionary(grouping: issues, by: { $0.line ?? 0 }).mapValues { $0.map(\.message).joined(separator: " | ") }
        #expect(byLine[6]?.contains("a stuck rule needs 'for'") == true)
        #expect(byLine[7]?.contains("takes no 'above' (give the range with 'min' and 'max')") == true)
        #expect(byLine[8]?.contains("'max' (400.0) must be above 'min' (500.0)") == true)
        #expect(byLine[9]?.contains("'tolerance' only applies to kind stuck or counter_rollback") == true)
        #expect(byLine[10]?.contains("needs 'min', 'max' or both") == true)
        #expect(byLine[11]?.contains("a counter_rollback rule takes no 'for'") == true)
        #expect(byLine[14]?.contains("has no level to override") == true)
        #expect(set.overrides.count == 1)
    }

    @Test("silence: its settings, their defaults, and a bad severity at its line")
    func silence() throws {
        let (set, issues, _) = try load("silence: {missed_reports: 4, fold_into_parent: false}\n")
        #expect(issues == [])
        #expect(set.silence == SilenceRule(missedReports: 4, severity: "warning", foldIntoParent: false))
        let (bad, badIssues, _) = try load("rules: []\nsilence:\n  severity: urgente\n")
        #expect(bad.silence == SilenceRule())
        #expect(badIssues.map(\.line) == [3])
        #expect(badIssues.first?.message.contains("unknown severity 'urgente'") == true)
        let (none, _, _) = try load("rules: []\n")
        #expect(none.silence == nil)
    }

    @Test("a rule must apply to some assets and have a level")
    func requiresTargetAndLevel() throws {
        let (set, issues, _) = try load("""
            rules:
              - id: x
                name: X
                metric: co2
            """)
        #expect(set.rules.isEmpty)
        #expect(issues.map(\.message).contains { $0.contains("applies to no asset") })
        #expect(issues.map(\.message).contains { $0.contains("has no level") })
    }

    @Test("the example commune's rules load cleanly with its configuration")
    func exampleRulesCheckClean() throws {
        let config = TestSupport.packageRoot().appendingPathComponent("examples/config.yaml").path
        let setup = try Checker.load(configPath: config, formats: TestSupport.formats)
        #expect(setup.alertRules.rules.count >= 4)
        #expect(setup.alertRules.overrides.count >= 1)
    }
}
