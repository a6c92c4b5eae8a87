import Assets
import Foundation

/// `night_flow`: the lowest flow of a water counter during the night window (02:00–04:00 local by default), when
/// nobody draws water, judged once per night; above the level `nights` nights running, a leak is suspected.
///
/// The flow between two readings is the counter's increase per hour of real time, and an interval counts for a
/// night only when it lies wholly within that night's window, computed in the commune's calendar: on the night the
/// clocks go forward 02:00–04:00 lasts one hour, on the night they go back, three.
extension WatchedRule {
    func stepNightFlow(_ state: ThresholdState, time: Int64, value: Double, memory: ReadingMemory, calendar: Calendar) -> (Step?, ReadingMemory) {
        guard let window = definition.window else { return (nil, memory) }
        var next = memory
        next.previous = .init(time: time, value: value)
        if let previous = memory.previous, time > previous.time, value >= previous.value,
           let night = Self.night(containing: previous.time, window: window, calendar: calendar), time <= night.end {
            let flow = (value - previous.value) / (Double(time - previous.time) / 3_600_000)
            if next.night != night.start { (next.night, next.nightMinimum) = (night.start, nil) }
            next.nightMinimum = min(next.nightMinimum ?? flow, flow)
        }
        // The night is over once a reading reaches its end: judge its lowest flow.
        guard let night = next.night, let end = Self.night(containing: night, window: window, calendar: calendar)?.end, time >= end else {
            return (nil, next)
        }
        let minimum = next.nightMinimum
        (next.night, next.nightMinimum) = (nil, nil)
        guard let minimum else { return (nil, next) }
        var transition: ThresholdTransition?
        var state = state
        if threshold.isAbnormal(minimum) {
            next.nightsAbove = (next.nightsAbove ?? 0) + 1
            let first = next.firstNightAbove ?? night
            next.firstNightAbove = first
            if case .active = state {
            } else if next.nightsAbove ?? 0 >= definition.nights {
                (state, transition) = (.active(since: first, clearingSince: nil), .raised(since: first, at: time, value: minimum))
            } else {
                state = .pending(since: first)
            }
        } else {
            (next.nightsAbove, next.firstNightAbove) = (nil, nil)
            switch state {
            case .active where threshold.isCleared(minimum):
                (state, transition) = (.normal, .cleared(since: night, at: time, value: minimum))
            case .active:
                break
            case .pending, .normal:
                state = .normal
            }
        }
        return (Step(state: state, transition: transition, memory: next, judged: minimum), next)
    }

    /// The night whose window contains `time`: its start and end instants (a window past midnight ends the next day).
    static func night(containing time: Int64, window: AlertRuleDefinition.DailyWindow, calendar: Calendar) -> (start: Int64, end: Int64)? {
        let date = Date(timeIntervalSince1970: Double(time) / 1000)
        for dayOffset in [0, -1] {
            guard let day = calendar.date(byAdding: .day, value: dayOffset, to: calendar.startOfDay(for: date)),
                  let start = calendar.date(bySettingHour: window.from / 60, minute: window.from % 60, second: 0, of: day),
                  let endDay = window.to > window.from ? day : calendar.date(byAdding: .day, value: 1, to: day),
                  let end = calendar.date(bySettingHour: window.to / 60, minute: window.to % 60, second: 0, of: endDay) else { continue }
            let (from, to) = (Int64((start.timeIntervalSince1970 * 1000).rounded()), Int64((end.timeIntervalSince1970 * 1000).rounded()))
            if time >= from, time < to { return (from, to) }
        }
        return nil
    }
}
