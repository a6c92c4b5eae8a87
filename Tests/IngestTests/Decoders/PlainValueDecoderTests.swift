import Foundation
import Testing
@testable import Ingest

@Suite("Plain value decoder")
struct PlainValueDecoderTests: DecoderTestSuite {
    static let decoder = PlainValueDecoder()

    /// The single value decoded from `maison/salon/temperature`.
    func value(_ text: String) throws -> FieldValue? {
        try decode("maison/salon/temperature", text).first?.observations.first?.value
    }

    /// The reason a payload is rejected for, by default on `maison/salon/temperature`; `nil` when it is accepted.
    func rejection(_ payload: [UInt8], topic: String = "maison/salon/temperature", options: [String: String] = [:]) -> String? {
        rejection(topic, payload, options: options)
    }

    // MARK: - Names

    @Test("by default the device is the topic without its last level, which is the field")
    func defaultNames() throws {
        #expect(try decode("maison/salon/temperature", "21.5")
            == [DecodedMessage(deviceID: "maison/salon", time: nil, observations: [Observation(field: "temperature", value: .number(21.5))])])
    }

    @Test("a one-level topic is the device and the field is value")
    func oneLevelTopic() throws {
        #expect(try decode("thermometre", "19")
            == [DecodedMessage(deviceID: "thermometre", observations: [Observation(field: "value", value: .number(19))])])
    }

    @Test("device and field templates and a unit from the options")
    func templatesAndUnit() throws {
        let options = ["device": "{1}", "field": "{3}", "unit": "°C"]
        #expect(try decode("capteurs/salle-3/sht31/temperature", "21.5", options: options)
            == [DecodedMessage(deviceID: "salle-3", observations: [Observation(field: "temperature", value: .number(21.5), unit: "°C")])])
    }

    @Test("a literal field and a field counted from the end")
    func literalAndNegativeField() throws {
        #expect(try decode("cuve/nord/niveau/cm", "132", options: ["device": "{1}", "field": "niveau"]).first?.observations.first?.field == "niveau")
        #expect(try decode("cuve/nord/niveau/cm", "132", options: ["field": "{-2}"]).first?.observations.first?.field == "niveau")
    }

    // MARK: - Values

    @Test("pure numbers in any notation are numbers")
    func numbers() throws {
        #expect(try value("21.5") == .number(21.5))
        #expect(try value("-3.2e1") == .number(-32))
        #expect(try value(" 12 \r\n") == .number(12))
        #expect(try value("+4") == .number(4))
        #expect(try value(".5") == .number(0.5))
        #expect(try value("0012") == .number(12))
    }

    @Test("text with a unit, states and non-numbers stay strings for the normaliser")
    func strings() throws {
        #expect(try value("21.5 °C") == .string("21.5 °C"))
        #expect(try value("ON") == .string("ON"))
        #expect(try value("nan") == .string("nan"))
        #expect(try value("inf") == .string("inf"))
        #expect(try value("0x1F") == .string("0x1F"))
        #expect(try value("1e400") == .string("1e400"))
    }

    @Test("JSON scalars keep their JSON type: booleans, quoted strings")
    func jsonScalars() throws {
        #expect(try value("true") == .bool(true))
        #expect(try value("false") == .bool(false))
        #expect(try value(#""21.5""#) == .string("21.5"))
        #expect(try value(#""Marche\u00e9""#) == .string("Marcheé"))
    }

    @Test("a JSON null is a device saying no value: nothing to store")
    func null() throws {
        #expect(try decode("maison/salon/temperature", "null").isEmpty)
    }

    // MARK: - Rejections

    @Test("empty, whitespace-only, oversized and non-UTF-8 payloads are rejected with the reason")
    func rejectedPayloads() {
        #expect(rejection([]) == "empty payload (format value expects one value)")
        #expect(rejection(Array("  \n".utf8)) == "payload is only whitespace (format value expects one value)")
        #expect(rejection(Array(repeating: UInt8(ascii: "1"), count: 257)) == "payload is 257 bytes; a single value is at most 256")
        #expect(rejection([0x32, 0x31, 0xFF, 0xFE]) == "payload is not valid UTF-8 text")
        #expect(rejection(Array(#"{"t":21.5}"#.utf8)) == "payload is a JSON object or array; format value takes one value per topic (use format json)")
    }

    @Test("a 256-byte value is still accepted")
    func maximumLength() throws {
        #expect(try decode("a/b", Array(repeating: UInt8(ascii: "7"), count: 256)).first?.observations.count == 1)
    }

    @Test("templates that do not fit the topic are rejected naming the option")
    func rejectedTemplates() {
        #expect(rejection(Array("1".utf8), topic: "a/b", options: ["field": "{3}"]) == "option field '{3}': topic 'a/b' has 2 level(s), no level 3")
        #expect(rejection(Array("1".utf8), topic: "a/b", options: ["device": "{-3}"]) == "option device '{-3}': topic 'a/b' has 2 level(s), no level -3")
        #expect(rejection(Array("1".utf8), topic: "", options: [:]) == "topic '' gives an empty device id")
    }

    // MARK: - Robustness

    @Test("arbitrary bytes and topics decode or throw, never crash")
    func neverCrashes() {
        var random = NoiseGenerator(seed: 23)
        for _ in 0..<2000 {
            let bytes = random.nextBytes(countBelow: 40)
            let noise = String(decoding: bytes, as: UTF8.self)
            _ = try? decode("a/b/c", bytes, options: ["device": "{1}", "field": "{-1}"])
            _ = try? decode(noise, Array("1".utf8), options: ["device": noise, "field": noise])
        }
    }
}
