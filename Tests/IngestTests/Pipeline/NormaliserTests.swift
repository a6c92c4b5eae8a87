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
}
