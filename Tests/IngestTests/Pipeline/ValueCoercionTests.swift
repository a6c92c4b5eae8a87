import Testing
@testable import Ingest

struct ValueCoercionTests {
    @Test("numbers as strings, decimal commas and leading zeros")
    func numbersAsStrings() {
        #expect(ValueCoercion.coerce(.string("012345678"), states: [:], isState: false)?.value == 12_345_678)
        #expect(ValueCoercion.coerce(.string(" 12,5 "), states: [:], isState: false)?.value == 12.5)
        #expect(ValueCoercion.coerce(.string("-3.2e1"), states: [:], isState: false)?.value == -32)
    }

    @Test("value-and-unit strings keep their unit")
    func valueAndUnit() {
        #expect(ValueCoercion.coerce(.string("30.11 °C"), states: [:], isState: false) == .init(value: 30.11, unit: "°C"))
        #expect(ValueCoercion.coerce(.string("1.2kWh"), states: [:], isState: false) == .init(value: 1.2, unit: "kWh"))
    }

    @Test("Linky values stamped with their date keep the value")
    func linkyTimestampedValue() {
        #expect(ValueCoercion.coerce(.string("H240213064656 03112"), states: [:], isState: false)?.value == 3112)
        #expect(ValueCoercion.coerce(.string("E231201180000 00000"), states: [:], isState: false)?.value == 0)
    }

    @Test("states from the profile, then common words")
    func states() {
        #expect(ValueCoercion.coerce(.string("HP.."), states: ["HC..": 0, "HP..": 1], isState: true)?.value == 1)
        #expect(ValueCoercion.coerce(.string("ON"), states: [:], isState: true)?.value == 1)
        #expect(ValueCoercion.coerce(.string("off"), states: [:], isState: true)?.value == 0)
        #expect(ValueCoercion.coerce(.bool(true), states: [:], isState: true)?.value == 1)
    }

    @Test("what cannot be a number is refused", arguments: ["abc", "NaN", "inf", "", "12 34 56"])
    func refused(text: String) {
        #expect(ValueCoercion.coerce(.string(text), states: [:], isState: false) == nil)
    }
}
