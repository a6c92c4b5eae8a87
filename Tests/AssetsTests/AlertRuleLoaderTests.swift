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
        #expect(set.rules[1].window == AlertRuleDefinition.DailyWindow(from: 23 * 60, to: 5 * 60 + 30))
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
              - {id: usuel, name: U, kind: consumption_above_usual, metric: co2, asset_types: [room], percentile: 90, weeks: 6}
              - {id: bad7, name: X, kind: consumption_above_usual, metric: co2, asset_types: [room], weeks: 1}
            overrides:
              - {asset: ECOLE-CP, rule: figee, for: 24h}
              - {asset: ECOLE-CP, rule: impossible, above: 5}
            """)
        #expect(set.rules.map(\.id) == ["chute", "figee", "impossible", "recul", "usuel"])
        #expect(set.rules[4].kind == .consumptionAboveUsual && set.rules[4].percentile == 90 && set.rules[4].weeks == 6)
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
        #expect(byLine[13]?.contains("'weeks'") == true)
        #expect(byLine[16]?.contains("has no level to override") == true)
        #expect(set.overrides.count == 1)
    }

    @Test("night flow (default window 02:00-04:00 and 2 nights) and a threshold relative to an asset attribute")
    func nightFlowAndRelativeThreshold() throws {
        let (set, issues, _) = try load("""
            rules:
              - {id: fuite, name: Fuite, kind: night_flow, metric: co2, asset_types: [room], above: 20, clear_below: 10}
              - {id: fuite3, name: Fuite, kind: night_flow, metric: co2, asset_types: [room], above: 20, window: "01:00-05:00", nights: 3}
              - {id: linky, name: Linky, metric: co2, asset_types: [room], above: 0.95, of: subscribed_power_kva}
              - {id: clim, name: Clim, metric: temperature, asset_types: [room], below: 26, while: {metric: co2, above: 200}}
              - {id: bad1, name: X, kind: night_flow, metric: co2, asset_types: [room], below: 20}
              - {id: bad2, name: X, kind: night_flow, metric: co2, asset_types: [room], above: 20, nights: 0}
              - {id: bad3, name: X, kind: stuck, metric: co2, asset_types: [room], for: 1h, of: nominal_power_w}
            """)
        #expect(set.rules.map(\.id) == ["fuite", "fuite3", "linky", "clim"])
        #expect(set.rules[3].whileCondition == MetricCondition(metric: "co2", direction: .above, level: 200))
        #expect(set.rules[0].window == .init(from: 120, to: 240) && set.rules[0].nights == 2 && set.rules[0].clearLevel == 10)
        #expect(set.rules[1].window == .init(from: 60, to: 300) && set.rules[1].nights == 3)
        #expect(set.rules[2].relativeTo == "subscribed_power_kva" && set.rules[2].level == 0.95)
        let byLine = Dictionary(grouping: issues, by: { $0.line ?? 0 }).mapValues { $0.map(\.message).joined(separator: " | ") }
        #expect(byLine[6]?.contains("says 'below' but the rule is 'above'") == true)
        #expect(byLine[7]?.contains("nights") == true)
        #expect(byLine[8]?.contains("'of' only applies to kind threshold") == true)
    }

    @Test("calendars (weekly hours, closures by range or date) and schedule keys (occupancy, unoccupied_for, days, hours); mistakes at their line")
    func calendarsAndSchedules() throws {
        let building = Asset(id: "ECOLE", name: "École", type: .building, domain: .batiments, attributes: ["calendar": .text("ecole")])
        let strayed = Asset(id: "GYM", name: "Gymnase", type: .building, domain: .equipementsSportifs, attributes: ["calendar": .text("ecol")])
        let folder = try TestSupport.folder(["alerts.yaml": """
            rules:
              - {id: occ, name: O, metric: temperature, asset_types: [room], occupancy: occupied, above: 19}
              - {id: we, name: W, metric: temperature, asset_types: [room], occupancy: unoccupied, unoccupied_for: 24h-48h, above: 16}
              - {id: long, name: L, metric: temperature, asset_types: [room], occupancy: unoccupied, unoccupied_for: 48h+, above: 8}
              - {id: hrs, name: H, metric: co2, asset_types: [room], days: [mon, tue, wed, thu, fri], hours: "08:00-18:00", above: 1500}
              - {id: bad1, name: X, metric: temperature, asset_types: [room], occupancy: occupied, unoccupied_for: 24h, above: 19}
              - {id: bad2, name: X, metric: temperature, asset_types: [room], occupancy: empty, above: 19}
              - {id: bad3, name: X, metric: co2, asset_types: [room], days: [lundi], above: 1500}
              - {id: bad4, name: X, metric: temperature, asset_types: [room], occupancy: unoccupied, unoccupied_for: 48h-24h, above: 8}
            calendars:
              - id: ecole
                hours: {mon: "08:20-11:50, 13:30-16:30", wed: "08:20-11:50"}
                closed:
                  - {from: 2026-12-19, to: 2027-01-03, reason: "Vacances de Noël"}
                  - {date: 2026-11-11}
              - id: bad
                hours: {mon: "16:30-08:20", tue: "08:00-12:00, 11:00-13:00"}
                closed:
                  - {from: 2027-01-03, to: 2026-12-19}
            """])
        let log = IssueLog()
        let set = AlertRuleLoader.read(paths: [folder + "/alerts.yaml"], assets: assets + [building, strayed], metrics: metrics, log: log)
        #expect(set.rules.map(\.id) == ["occ", "we", "long", "hrs"])
        #expect(set.rules[0].schedule == RuleSchedule(occupancy: .occupied))
        #expect(set.rules[1].schedule == RuleSchedule(occupancy: .unoccupied(atLeast: 86_400, lessThan: 172_800)))
        #expect(set.rules[2].schedule == RuleSchedule(occupancy: .unoccupied(atLeast: 172_800, lessThan: nil)))
        #expect(set.rules[3].schedule == RuleSchedule(days: [1, 2, 3, 4, 5], hours: .init(from: 480, to: 1_080)))
        let ecole = try #require(set.calendars["ecole"])
        #expect(ecole.hours[1] == [.init(from: 500, to: 710), .init(from: 810, to: 990)] && ecole.hours[3] == [.init(from: 500, to: 710)])
        #expect(ecole.closures == [.init(from: 2026_12_19, to: 2027_01_03, reason: "Vacances de Noël"), .init(from: 2026_11_11, to: 2026_11_11)])
        #expect(set.calendars["bad"] == nil)
        let byLine = Dictionary(grouping: log.issues, by: { $0.line ?? 0 }).mapValues { $0.map(\.message).joined(separator: " | ") }
        #expect(byLine[6]?.contains("'unoccupied_for' goes with 'occupancy: unoccupied'") == true)
        #expect(byLine[7]?.contains("unknown occupancy 'empty'") == true)
        #expect(byLine[8]?.contains("unknown day 'lundi'") == true)
        #expect(byLine[9]?.contains("must be a span such as") == true)
        #expect(byLine[17]?.contains("'mon' must list times") == true && byLine[17]?.contains("'tue' must list times") == true)
        #expect(byLine[19]?.contains("'from' first") == true)
        #expect(byLine[0]?.contains("unknown calendar 'ecol'") == true && byLine[0]?.contains("did you mean 'ecole'") == true)
    }

    @Test("maintenance windows: assets and local times read; an unknown asset and times in the wrong order refused at their line")
    func maintenance() throws {
        let (set, issues, _) = try load("""
            maintenance:
              - {assets: [ECOLE-CP, CRECHE-DORTOIR], from: "2026-12-01 08:00", to: "2026-12-01T17:30", reason: "Travaux de peinture"}
              - {assets: [ECOLE-CPP], from: "2026-12-01 08:00", to: "2026-12-01 17:00"}
              - {assets: [ECOLE-CP], from: "2026-12-02 17:00", to: "2026-12-02 08:00"}
            """)
        #expect(set.maintenance == [MaintenanceWindow(assets: ["ECOLE-CP", "CRECHE-DORTOIR"], from: 2026_12_01_0800, to: 2026_12_01_1730,
                                                      reason: "Travaux de peinture")])
        let byLine = Dictionary(grouping: issues, by: { $0.line ?? 0 }).mapValues { $0.map(\.message).joined(separator: " | ") }
        #expect(byLine[3]?.contains("unknown asset 'ECOLE-CPP'") == true && byLine[3]?.contains("did you mean 'ECOLE-CP'") == true)
        #expect(byLine[4]?.contains("'from' first") == true)
    }

    @Test("agents: contacts, domains, assets, on-call days and hours, fallback; mistakes at their line")
    func agents() throws {
        let (set, issues, _) = try load("""
            agents:
              - {id: martine, name: Martine, email: martine@mairie.fr, domains: [batiments], on_call: {days: [mon, tue], hours: "07:30-18:00"}}
              - {id: astreinte, name: Astreinte, email: astreinte@mairie.fr, fallback: true}
              - {id: bad, name: X, email: nope, domains: [batiment], assets: [ECOLE-CPP]}
            """)
        #expect(set.agents == [
            Agent(id: "martine", name: "Martine", email: "martine@mairie.fr", domains: [.batiments],
                  onCall: RuleSchedule(days: [1, 2], hours: .init(from: 450, to: 1_080))),
            Agent(id: "astreinte", name: "Astreinte", email: "astreinte@mairie.fr", fallback: true),
        ])
        let messages = issues.filter { $0.line == 4 }.map(\.message).joined(separator: " | ")
        #expect(messages.contains("'nope' is not an e-mail address") && messages.contains("unknown domain 'batiment'")
            && messages.contains("unknown asset 'ECOLE-CPP'"))
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
