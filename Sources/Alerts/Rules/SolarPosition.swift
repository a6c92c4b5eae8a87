import Foundation

/// The sun's elevation above the horizon at a place and time (NOAA's solar calculator equations, accurate to
/// about a minute for sunrise and sunset at French latitudes): street lighting rules ask whether it is night.
public enum SolarPosition {
    /// The elevation the sun's centre has at sunrise and sunset: the apparent upper limb on the horizon
    /// (0.833° = refraction and the sun's radius).
    public static let horizon = -0.833

    /// Degrees above the horizon (negative below), geometric (no refraction), at `time` (ms since the epoch).
    public static func elevation(latitude: Double, longitude: Double, at time: Int64) -> Double {
        func radians(_ degrees: Double) -> Double { degrees * .pi / 180 }
        func degrees(_ radians: Double) -> Double { radians * 180 / .pi }
        let julianDay = Double(time) / 86_400_000 + 2_440_587.5
        let century = (julianDay - 2_451_545) / 36_525
        let meanLongitude = (280.46646 + century * (36_000.76983 + century * 0.0003032)).truncatingRemainder(dividingBy: 360)
        let meanAnomaly = 357.52911 + century * (35_999.05029 - 0.0001537 * century)
        let eccentricity = 0.016708634 - century * (0.000042037 + 0.0000001267 * century)
        let centre = sin(radians(meanAnomaly)) * (1.914602 - century * (0.004817 + 0.000014 * century))
            + sin(radians(2 * meanAnomaly)) * (0.019993 - 0.000101 * century) + sin(radians(3 * meanAnomaly)) * 0.000289
        let apparentLongitude = meanLongitude + centre - 0.00569 - 0.00478 * sin(radians(125.04 - 1_934.136 * century))
        let meanObliquity = 23 + (26 + (21.448 - century * (46.815 + century * (0.00059 - century * 0.001813))) / 60) / 60
        let obliquity = meanObliquity + 0.00256 * cos(radians(125.04 - 1_934.136 * century))
        let declination = degrees(asin(sin(radians(obliquity)) * sin(radians(apparentLongitude))))
        let y = pow(tan(radians(obliquity / 2)), 2)
        let equationOfTime = 4 * degrees(y * sin(2 * radians(meanLongitude)) - 2 * eccentricity * sin(radians(meanAnomaly))
            + 4 * eccentricity * y * sin(radians(meanAnomaly)) * cos(2 * radians(meanLongitude))
            - 0.5 * y * y * sin(4 * radians(meanLongitude)) - 1.25 * eccentricity * eccentricity * sin(2 * radians(meanAnomaly)))
        let minutesOfDay = Double((time % 86_400_000 + 86_400_000) % 86_400_000) / 60_000
        let trueSolarTime = (minutesOfDay + equationOfTime + 4 * longitude).truncatingRemainder(dividingBy: 1_440)
        let hourAngle = trueSolarTime / 4 < 0 ? trueSolarTime / 4 + 180 : trueSolarTime / 4 - 180
        let cosZenith = sin(radians(latitude)) * sin(radians(declination))
            + cos(radians(latitude)) * cos(radians(declination)) * cos(radians(hourAngle))
        return 90 - degrees(acos(max(-1, min(1, cosZenith))))
    }
}
