import Testing
@testable import Assets

@Suite("Durations")
struct DurationTests {
    @Test("Suffixed durations and plain seconds are parsed", arguments: [
        ("90s", 90), ("20m", 1_200), ("1h", 3_600), ("1d", 86_400), ("1h30m", 5_400),
        ("15min", 900), ("900", 900), (" 2H ", 7_200), ("1d 12h", 129_600),
    ])
    func parses(text: String, seconds: Int) {
        #expect(Durations.seconds(text) == seconds)
    }

    @Test("Text that is not a duration is refused", arguments: ["", "abc", "10x", "1.5h", "m", "h1"])
    func refuses(text: String) {
        #expect(Durations.seconds(text) == nil)
    }
}
