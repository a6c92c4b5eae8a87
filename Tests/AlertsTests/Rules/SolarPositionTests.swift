import Foundation
import Testing
@testable import Alerts

struct SolarPositionTests {
    /// The first minute of `day` (UTC midnight, ms) from `start` on where the sun crosses the sunrise/sunset elevation.
    func crossing(latitude: Double, longitude: Double, from start: Int64, rising: Bool) -> Int64? {
        var previous = SolarPosition.elevation(latitude: latitude, longitude: longitude, at: start) - SolarPosition.horizon
        for minute in Int64(1)..<1_440 {
            let time = start + minute * 60_000
            let current = SolarPosition.elevation(latitude: latitude, longitude: longitude, at: time) - SolarPosition.horizon
            if rising ? (previous < 0 && current >= 0) : (previous >= 0 && current < 0) { return time }
            previous = current
        }
        return nil
    }

    func utc(_ text: String) -> Int64 {
        Int64(ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970 * 1000)
    }

    @Test("sunrise and sunset in Paris at the solstices match the published times within 2 minutes", arguments: [
        // Institut de mécanique céleste / timeanddate.com, Paris (48.8566 N, 2.3522 E): 21 June sunrise 05:47 CEST,
        // sunset 21:58 CEST; 21 December sunrise 08:42 CET, sunset 16:56 CET.
        ("2026-06-21T00:00:00Z", "2026-06-21T03:47:00Z", "2026-06-21T19:58:00Z"),
        ("2026-12-21T00:00:00Z", "2026-12-21T07:42:00Z", "2026-12-21T15:56:00Z"),
    ])
    func solstices(day: String, sunrise: String, sunset: String) throws {
        let start = utc(day)
        let rise = try #require(crossing(latitude: 48.8566, longitude: 2.3522, from: start, rising: true))
        let set = try #require(crossing(latitude: 48.8566, longitude: 2.3522, from: start, rising: false))
        #expect(abs(rise - utc(sunrise)) <= 120_000, "sunrise \(Date(timeIntervalSince1970: Double(rise) / 1000))")
        #expect(abs(set - utc(sunset)) <= 120_000, "sunset \(Date(timeIntervalSince1970: Double(set) / 1000))")
    }

    @Test("noon high in summer, low in winter; deep night negative")
    func elevations() {
        let june = SolarPosition.elevation(latitude: 48.8566, longitude: 2.3522, at: utc("2026-06-21T11:50:00Z"))
        let december = SolarPosition.elevation(latitude: 48.8566, longitude: 2.3522, at: utc("2026-12-21T11:50:00Z"))
        let midnight = SolarPosition.elevation(latitude: 48.8566, longitude: 2.3522, at: utc("2026-12-21T23:50:00Z"))
        // 90 − latitude ± 23.44: 64.6° and 17.7° at solar noon.
        #expect(abs(june - 64.6) < 0.5)
        #expect(abs(december - 17.7) < 0.5)
        #expect(midnight < -60)
    }
}
