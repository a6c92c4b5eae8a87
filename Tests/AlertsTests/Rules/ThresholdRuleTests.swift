import Testing
@testable import Alerts

struct ThresholdRuleTests {
    let minute: Int64 = 60_000

    /// Feeds (minute, value) readings and returns each transition with the minute it happened.
    func run(_ rule: ThresholdRule, _ readings: [(Int64, Double)], from start: ThresholdState = .normal) -> (ThresholdState, [ThresholdTransition]) {
        var state = start
        var transitions: [ThresholdTransition] = []
        for (time, value) in readings {
            let (next, transition) = rule.step(state, time: time * minute, value: value)
            state = next
            if let transition { transitions.append(transition) }
        }
        return (state, transitions)
    }

    @Test("CO₂ above 1,500 ppm for 10 min: raised by the reading that completes the 10 minutes, dated from the first")
    func raisesAfterDuration() {
        let rule = ThresholdRule(direction: .above, level: 1_500, duration: 10 * minute)
        let (state, transitions) = run(rule, [(0, 1_400), (5, 1_600), (10, 1_700), (14, 1_650), (15, 1_800)])
        #expect(transitions == [.raised(since: 5 * minute, at: 15 * minute, value: 1_800)])
        #expect(state == .active(since: 5 * minute, clearingSince: nil))
    }

    @Test("a dip under the level before the duration starts the count again")
    func dipResets() {
        let rule = ThresholdRule(direction: .above, level: 1_500, duration: 10 * minute)
        let (state, transitions) = run(rule, [(0, 1_600), (6, 1_450), (8, 1_600), (17, 1_900)])
        #expect(transitions.isEmpty)
        #expect(state == .pending(since: 8 * minute))
    }

    @Test("sensors reporting every 15 min raise a 10-min rule at their second abnormal reading, not before")
    func sparseReadings() {
        let rule = ThresholdRule(direction: .above, level: 1_500, duration: 10 * minute)
        let (_, transitions) = run(rule, [(0, 1_600), (15, 1_600)])
        #expect(transitions == [.raised(since: 0, at: 15 * minute, value: 1_600)])
    }

    @Test("hysteresis: raised at 1,500, cleared only under 1,200 held for 5 min; the dead band changes nothing")
    func hysteresis() {
        let rule = ThresholdRule(direction: .above, level: 1_500, duration: 0, clearLevel: 1_200, clearDuration: 5 * minute)
        let (state, transitions) = run(rule, [
            (0, 1_550),   // raised at once
            (1, 1_450), (2, 1_520), (3, 1_300),   // hovering in the dead band: nothing
            (4, 1_100), (6, 1_150), (7, 1_250),   // under 1,200 for 2 min, then back in the band: the clearing restarts
            (8, 1_150), (12, 1_100), (13, 1_000), // under 1,200 from minute 8: cleared at 13
        ])
        #expect(transitions == [.raised(since: 0, at: 0, value: 1_550), .cleared(since: 8 * minute, at: 13 * minute, value: 1_000)])
        #expect(state == .normal)
    }

    @Test("below: a hot-water loop under 50 °C for 30 min, cleared above 55 °C")
    func below() {
        let rule = ThresholdRule(direction: .below, level: 50, duration: 30 * minute, clearLevel: 55, clearDuration: 0)
        let (_, transitions) = run(rule, [(0, 52), (10, 49), (25, 48), (40, 47), (50, 53), (55, 56)])
        #expect(transitions == [.raised(since: 10 * minute, at: 40 * minute, value: 47), .cleared(since: 55 * minute, at: 55 * minute, value: 56)])
    }

    @Test("a state restored after a restart goes on where it was: 8 minutes done, 2 to go")
    func resumesFromStoredState() {
        let rule = ThresholdRule(direction: .above, level: 1_500, duration: 10 * minute)
        let (_, early) = run(rule, [(9, 1_600)], from: .pending(since: 0))
        #expect(early.isEmpty)
        let (_, transitions) = run(rule, [(10, 1_600)], from: .pending(since: 0))
        #expect(transitions == [.raised(since: 0, at: 10 * minute, value: 1_600)])
    }

    @Test("the level itself is not beyond it; defaults clear at the raising level after the raising duration")
    func boundariesAndDefaults() {
        let rule = ThresholdRule(direction: .above, level: 19, duration: 5 * minute)
        #expect(!rule.isAbnormal(19))
        #expect(rule.isAbnormal(19.01))
        #expect(rule.clearLevel == 19 && rule.clearDuration == 5 * minute)
        #expect(!rule.isCleared(19))
        #expect(rule.isCleared(18.99))
    }
}
