import Assets
import Testing
@testable import Ingest

struct NormaliserTests {
    let profile = DeviceProfile(id: "meter", name: "Compteur", category: "electricity_meter", reportingInterval: 600, metrics: [
        MetricMapping(fields: ["ENERGY.Total", "energy"], metric: "energy_import", unit: "kWh", kind: .counter),
        MetricMapping(fields: ["pulses"], metric: "water_volume", unit: "L", kind: .counter, scale: 10),
        MetricMapping(fields: ["temp"], metric: "temperature", unit: "°C"),
        MetricMapping(fields: ["relay"], metric: "relay", unit: "1", kind: .state),
    ])
    let received: Int64 = 1_763_631_000_000

    @Test("units are converted to the canonical unit of their quantity")
    func canonicalUnits() {
        let message = DecodedMessage(deviceID: "d", time: received - 1000, observations: [
            Observation(field: "ENERGY.Total", value: .number(9098.245)),
            Observation(field: "pulses", value: .string("17")),
            Observation(field: "temp", value: .number(70), unit: "°F"),
        ])
        let result = Normaliser().normalise(message, profile: profile, receivedAt: received)
        #expect(result.readings.count == 3)
        #expect(result.readings.first { $0.metric == "energy_import" }?.value == 9_098_245)
        #expect(result.readings.first { $0.metric == "energy_import" }?.unit == "Wh")
        #expect(result.readings.first { $0.metric == "water_volume" }?.value == 170)
        let celsius = result.readings.first { $0.metric == "temperature" }!.value
        #expect(abs(celsius - 21.111111) < 1e-5)
        #expect(result.readings.allSatisfy { $0.time == received - 1000 })
    }

    @Test("a unit stated in the payload wins over the profile's for the same quantity")
    func payloadUnitWins() {
        let message = DecodedMessage(deviceID: "d", observations: [Observation(field: "energy", value: .string("1520 Wh"))])
        let reading = Normaliser().normalise(message, profile: profile, receivedAt: received).readings.first
        #expect(reading?.value == 1520)
        #expect(reading?.time == received)
    }

    @Test("unmapped and invalid fields are reported, not silently dropped")
    func unmappedAndInvalid() {
        let message = DecodedMessage(deviceID: "d", observations: [
            Observation(field: "temp", value: .string("erreur")),
            Observation(field: "rssi", value: .number(-80)),
        ])
        let result = Normaliser().normalise(message, profile: profile, receivedAt: received)
        #expect(result.readings.isEmpty)
        #expect(result.unmappedFields == ["rssi"])
        #expect(result.invalidFields.count == 1)
        #expect(result.invalidFields[0].contains("temp"))
    }

    @Test("a device clock that was never set or runs ahead falls back to the receive time")
    func implausibleClock() {
        #expect(Normaliser.plausibleTime(12_000, receivedAt: received) == received)
        #expect(Normaliser.plausibleTime(received + 2 * 86_400_000, receivedAt: received) == received)
        #expect(Normaliser.plausibleTime(received - 3_600_000, receivedAt: received) == received - 3_600_000)
    }

    @Test("history samples keep their own times")
    func history() {
        let message = DecodedMessage(deviceID: "d", time: received, observations: [
            Observation(field: "temp", value: .number(20), time: received - 120_000),
            Observation(field: "temp", value: .number(21), time: received - 60_000),
        ])
        let readings = Normaliser().normalise(message, profile: profile, receivedAt: received).readings
        #expect(readings.map(\.time) == [received - 120_000, received - 60_000])
    }

    @Test("an array of per-phase values is summed into the mapped metric")
    func perPhaseArraySummed() {
        let message = DecodedMessage(deviceID: "d", observations: [
            Observation(field: "ENERGY.Total.0", value: .number(1.5)),
            Observation(field: "ENERGY.Total.1", value: .number(2.25)),
            Observation(field: "ENERGY.Total.2", value: .number(0.25)),
        ])
        let result = Normaliser().normalise(message, profile: profile, receivedAt: received)
        #expect(result.readings.map(\.value) == [4000])
        #expect(result.readings.first?.unit == "Wh")
        #expect(result.unmappedFields.isEmpty)
    }

    @Test("messages of one shape reuse the plan of the first, each with its own values, times and problems")
    func planReusedAcrossMessagesOfOneShape() {
        let normaliser = Normaliser()
        func message(_ energy: FieldValue, _ temp: FieldValue, at time: Int64) -> DecodedMessage {
            DecodedMessage(deviceID: "d", time: time, observations: [
                Observation(field: "energy", value: energy), Observation(field: "rssi", value: .number(-80)),
                Observation(field: "temp", value: temp),
            ])
        }
        let first = normaliser.normalise(message(.number(1.5), .number(20), at: received - 60_000), profile: profile, receivedAt: received)
        let second = normaliser.normalise(message(.string("2 Wh"), .string("erreur"), at: received), profile: profile, receivedAt: received)
        let third = normaliser.normalise(message(.number(3), .number(22.5), at: 12), profile: profile, receivedAt: received)
        #expect(first.readings.map(\.value) == [1500, 20])
        #expect(first.readings.map(\.time) == [received - 60_000, received - 60_000])
        #expect(second.readings.map(\.value) == [2])
        #expect(second.invalidFields == ["temp=\"erreur\" is not a number (metric temperature)"])
        #expect(third.readings.map(\.value) == [3000, 22.5])
        #expect(third.readings.allSatisfy { $0.time == received && $0.timeFromReceipt })
        #expect([first, second, third].allSatisfy { $0.unmappedFields == ["rssi"] })
    }

    @Test("a per-phase array holding a non-number maps nothing, even after arrays of that shape were summed")
    func summedArrayWithANonNumberAfterAPlan() {
        let normaliser = Normaliser()
        func message(_ second: FieldValue) -> DecodedMessage {
            DecodedMessage(deviceID: "d", observations: [
                Observation(field: "ENERGY.Total.0", value: .number(1.5)), Observation(field: "ENERGY.Total.1", value: second),
            ])
        }
        #expect(normaliser.normalise(message(.number(2.5)), profile: profile, receivedAt: received).readings.map(\.value) == [4000])
        let broken = normaliser.normalise(message(.string("n/a")), profile: profile, receivedAt: received)
        #expect(broken.readings.isEmpty)
        #expect(broken.unmappedFields == ["ENERGY.Total.0", "ENERGY.Total.1"])
        #expect(normaliser.normalise(message(.number(0.5)), profile: profile, receivedAt: received).readings.map(\.value) == [2000])
    }

    @Test("a profile's messages of several shapes, interleaved, are each read by their own plan")
    func interleavedShapes() {
        let normaliser = Normaliser()
        let shapes: [[Observation]] = [
            [Observation(field: "temp", value: .number(19))],
            [Observation(field: "relay", value: .string("ON")), Observation(field: "temp", value: .number(21))],
            [Observation(field: "pulses", value: .number(4)), Observation(field: "voltage", value: .number(230))],
            [Observation(field: "temp", value: .number(18)), Observation(field: "temp", value: .number(18.5))],
            [Observation(field: "energy", value: .number(1))],
            [Observation(field: "relay", value: .bool(false))],
        ]
        let expected: [[String]] = [["temperature"], ["temperature", "relay"], ["water_volume"], ["temperature", "temperature"], ["energy_import"], ["relay"]]
        for round in 0..<3 {
            for (index, observations) in shapes.enumerated() {
                let result = normaliser.normalise(DecodedMessage(deviceID: "d", observations: observations), profile: profile, receivedAt: received)
                #expect(result.readings.map(\.metric) == expected[index], "round \(round), shape \(index)")
                #expect(result.unmappedFields == (index == 2 ? ["voltage"] : []))
            }
        }
    }
}
