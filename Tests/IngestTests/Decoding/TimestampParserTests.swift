import Foundation
import Testing
@testable import Ingest

struct TimestampParserTests {
    let paris = TimeZone(identifier: "Europe/Paris")!

    @Test("RFC 3339 with offset, Z and nanoseconds")
    func withOffset() {
        #expect(TimestampParser.milliseconds(from: "2022-07-18T09:34:15.775023242+00:00", timeZone: paris) == 1_658_136_855_775)
        #expect(TimestampParser.milliseconds(from: "2022-07-18T11:34:15Z", timeZone: paris) == 1_658_144_055_000)
        #expect(TimestampParser.milliseconds(from: "2022-07-18T11:34:15+02:00", timeZone: paris) == 1_658_136_855_000)
    }

    @Test("local time without offset is the commune's time, in winter and in summer")
    func localTime() {
        // 2026-01-15 10:00 in Paris is 09:00 UTC; 2026-07-15 10:00 is 08:00 UTC.
        #expect(TimestampParser.milliseconds(from: "2026-01-15T10:00:00", timeZone: paris) == 1_768_467_600_000)
        #expect(TimestampParser.milliseconds(from: "2026-07-15 10:00:00", timeZone: paris) == 1_784_102_400_000)
    }

    @Test("the autumn DST overlap takes the earlier instant")
    func dstOverlap() {
        // 2026-10-25 02:30 happens twice in Paris; the first is 00:30 UTC.
        #expect(TimestampParser.milliseconds(from: "2026-10-25T02:30:00", timeZone: paris) == 1_792_888_200_000)
    }

    @Test("epoch numbers in s, ms, µs and ns")
    func epochs() {
        #expect(TimestampParser.epochMilliseconds(1_763_631_000) == 1_763_631_000_000)
        #expect(TimestampParser.epochMilliseconds(1_763_631_000.5) == 1_763_631_000_500)
        #expect(TimestampParser.epochMilliseconds(1_763_631_000_123) == 1_763_631_000_123)
        #expect(TimestampParser.epochMilliseconds(1_763_631_000_123_456) == 1_763_631_000_123)
        #expect(TimestampParser.epochMilliseconds(1_763_631_000_123_456_768) == 1_763_631_000_123)
        #expect(TimestampParser.milliseconds(from: "1763631000", timeZone: paris) == 1_763_631_000_000)
    }

    @Test("non-timestamps are refused", arguments: ["", "hier", "2026-13-01T00:00:00", "2026-01-01T25:00", "2026-01-01T10:00:00 extra"])
    func refused(text: String) {
        #expect(TimestampParser.milliseconds(from: text, timeZone: paris) == nil)
    }
}
