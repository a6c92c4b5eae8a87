import Foundation

/// Hostile payloads for every format the gateway decodes, generated from a seed: random bytes, and real
/// captured payloads (the decoder tests' fixtures) truncated, bit-flipped, nested deeply, with huge, NaN or
/// malformed numbers, values of the wrong type, invalid UTF-8, or blown up past the size limit.
struct PayloadFuzzer {
    /// One subscription per format (the generic ones with their options), for the gateway's configuration.
    static let subscriptions = """
          - {topic: "application/+/device/+/event/+", format: chirpstack-v4}
          - {topic: "csv3/application/+/device/+/event/+", format: chirpstack-v3}
          - {topic: "v3/+/devices/+/+", format: tts-v3}
          - {topic: "thingpark/#", format: thingpark}
          - {topic: "zigbee2mqtt/#", format: zigbee2mqtt}
          - {topic: "tele/+/+", format: tasmota}
          - {topic: "stat/+/+", format: tasmota}
          - {topic: "shellyplus1pm-mairie/#", format: shelly}
          - {topic: "shellies/#", format: shelly}
          - {topic: "senml/#", format: senml}
          - {topic: "capteurs/+/data", format: json, options: {device: "{1}", time_path: ts}}
          - {topic: "chaufferie/+/+", format: value, options: {device: "{1}", field: "{2}"}}
        """

    /// Topics per format: declared devices (see `TestProfiles.inventory`), undeclared ones, and each
    /// format's message kinds.
    static let topics: [String: [String]] = [
        "chirpstack-v4": ["up", "up", "up", "status", "join", "log", "ack", "txack"].map { "application/app/device/a84041000181c0b2/event/\($0)" }
            + ["application/app/device/0011223344556677/event/up"],
        "chirpstack-v3": ["up", "up", "status", "join", "error"].map { "csv3/application/1/device/a84041000181c0b2/event/\($0)" },
        "tts-v3": ["v3/app@ttn/devices/eui-a84041000181c0b2/up", "v3/app@ttn/devices/dev1/up", "v3/app@ttn/devices/dev1/join"],
        "thingpark": ["thingpark/app/uplink"],
        "zigbee2mqtt": ["zigbee2mqtt/salle_conseil", "zigbee2mqtt/salle_conseil", "zigbee2mqtt/salle_conseil/availability",
                        "zigbee2mqtt/bridge/state", "zigbee2mqtt/bridge/logging", "zigbee2mqtt/capteur_inconnu"],
        "tasmota": ["tele/linky_mairie/SENSOR", "tele/linky_mairie/SENSOR", "tele/linky_mairie/STATE", "tele/linky_mairie/LWT",
                    "stat/linky_mairie/RESULT", "stat/linky_mairie/STATUS8", "stat/linky_mairie/POWER", "tele/prise_inconnue/SENSOR"],
        "shelly": ["shellyplus1pm-mairie/status/switch:0", "shellyplus1pm-mairie/status/switch:0", "shellyplus1pm-mairie/events/rpc",
                   "shellyplus1pm-mairie/status", "shellyplus1pm-mairie/online", "shellyplus1pm-mairie/status/em:0",
                   "shellies/shelly1-abc123/relay/0", "shellies/shelly1-abc123/input/0", "shellies/announce"],
        "senml": ["senml/salle", "senml/urn:dev:ow:10e2073a01080063"],
        "json": ["capteurs/sonde-42/data", "capteurs/sonde-42/data", "capteurs/sonde-inconnue/data"],
        "value": ["chaufferie/chaudiere/gas_index", "chaufferie/chaudiere/temperature", "chaufferie/chaudiere/etat"],
    ]

    /// Fixture folders (under `Tests/IngestTests/Fixtures` and its `real/`) per format.
    static let fixtureFolders: [String: String] = [
        "chirpstack-v4": "chirpstack-v4", "chirpstack-v3": "chirpstack-v3", "tts-v3": "tts-v3", "thingpark": "thingpark",
        "zigbee2mqtt": "zigbee2mqtt", "tasmota": "tasmota", "shelly": "shelly", "senml": "senml", "json": "json",
    ]

    static var formats: [String] { topics.keys.sorted() }

    /// Valid payloads per format, read from the decoder tests' fixtures.
    static func loadSeeds() throws -> [String: [[UInt8]]] {
        let root = packageRoot + "/Tests/IngestTests/Fixtures"
        var seeds: [String: [[UInt8]]] = [:]
        for (format, folder) in fixtureFolders {
            for directory in [root + "/" + folder, root + "/real/" + folder] {
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
                for name in names.sorted() where name.hasSuffix(".json") || name.hasSuffix(".txt") {
                    let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
                    seeds[format, default: []].append(Array(data))
                }
            }
        }
        seeds["value"] = ["21.5", "21.5 °C", "ON", "off", "1234.567", "-3", "1e3", "true"].map { Array($0.utf8) }
        for format in formats where (seeds[format] ?? []).isEmpty {
            throw TestFailure("no seed payload for \(format) under \(root)")
        }
        return seeds
    }

    private var random: SeededGenerator
    private let seeds: [String: [[UInt8]]]
    /// Keys of the real payloads, for structure-aware random JSON.
    private let vocabulary: [String]

    init(seed: UInt64) throws {
        random = SeededGenerator(seed: seed)
        seeds = try Self.loadSeeds()
        var keys = Set<String>()
        for payloads in seeds.values {
            for payload in payloads { keys.formUnion(Self.keys(in: payload)) }
        }
        vocabulary = keys.sorted()
    }

    /// What a generated payload is, for the test's report.
    enum Kind: String, CaseIterable {
        case valid, randomBytes, truncated, bitFlips, deepNesting, extremeNumbers, wrongTypes, invalidUTF8, randomJSON,
             edgeCases, large, oversized
    }

    /// The next message: a topic of `format` and a hostile payload.
    mutating func next(format: String) -> (topic: String, payload: [UInt8], kind: Kind) {
        let topics = Self.topics[format]!
        let topic = topics[Int.random(in: 0..<topics.count, using: &random)]
        let seed = pick(seeds[format]!)
        let roll = Int.random(in: 0..<10_000, using: &random)
        let kind: Kind = switch roll {
        case 0..<600: .valid
        case 600..<1_600: .randomBytes
        case 1_600..<3_100: .truncated
        case 3_100..<4_600: .bitFlips
        case 4_600..<5_100: .deepNesting
        case 5_100..<6_600: .extremeNumbers
        case 6_600..<7_800: .wrongTypes
        case 7_800..<8_700: .invalidUTF8
        case 8_700..<9_500: .randomJSON
        case 9_500..<9_970: .edgeCases
        case 9_970..<9_990: .large
        default: .oversized
        }
        return (topic, payload(kind, seed: seed), kind)
    }

    private mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }
    private mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    private mutating func payload(_ kind: Kind, seed: [UInt8]) -> [UInt8] {
        switch kind {
        case .valid:
            return seed
        case .randomBytes:
            return (0..<Int.random(in: 0...1_024, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        case .truncated:
            return Array(seed.prefix(Int.random(in: 0..<max(seed.count, 1), using: &random)))
        case .bitFlips:
            var bytes = seed
            for _ in 0..<Int.random(in: 1...8, using: &random) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] = chance(50) ? bytes[index] ^ (1 << UInt8.random(in: 0...7, using: &random))
                    : pick(Array("{}[]\",:\\0-.eE \u{0}".utf8))
            }
            return bytes
        case .deepNesting:
            let depth = pick([40, 63, 64, 65, 100, 500, 1_000, 5_000, chance(5) ? 100_000 : 2_000])
            let (open, close) = chance(50) ? ("[", "]") : (#"{"a":"#, "}")
            var text = String(repeating: open, count: depth) + "1"
            if chance(50) { text += String(repeating: close, count: depth) }
            if chance(30), let brace = seed.lastIndex(of: UInt8(ascii: "}")) {
                // Deep nesting inside a real message.
                return Array(seed[..<brace]) + Array(#","deep":"#.utf8) + Array(text.utf8) + Array(seed[brace...])
            }
            return Array(text.utf8)
        case .extremeNumbers:
            return replaceTokens(in: seed, numbers: true, replacements: [
                "1e400", "-1e400", "NaN", "-NaN", "Infinity", "-Infinity", "1e-400", "123456789012345678901234567890",
                "-9223372036854775809", "18446744073709551616", "0x1F", "-0", "1.7976931348623157e309", "1e", "--1", "1.2.3",
                "00012", ".5", "5.", "+1", "1E+99999", "4.9e-325", "\"NaN\"", "\"1e400\"", "\"Infinity\"",
            ])
        case .wrongTypes:
            return replaceTokens(in: seed, numbers: false, replacements: [
                #""x""#, "[]", "{}", "null", "true", "false", "[1,2]", #"{"a":1}"#, #""12.5 kWh""#, #""""#, "-0", "[[[]]]",
                #"{"value":null}"#, #""2026-13-45T99:99:99Z""#, "1763631000000000000", "-1",
            ])
        case .invalidUTF8:
            var bytes = seed
            let sequences: [[UInt8]] = [[0xC3, 0x28], [0xFF], [0xFE], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80],
                                        [0x80], [0xF0, 0x9F, 0x98], [0x00]]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &random)
                bytes.insert(contentsOf: pick(sequences), at: index)
            }
            return bytes
        case .randomJSON:
            var text = ""
            randomJSON(into: &text, depth: 0)
            return Array(text.utf8)
        case .edgeCases:
            let cases: [[UInt8]] = [
                [], Array(" ".utf8), Array("null".utf8), Array("true".utf8), Array("[]".utf8), Array("{}".utf8), Array(#""""#.utf8),
                Array("0".utf8), Array("-".utf8), Array("1e".utf8), [0xEF, 0xBB, 0xBF] + seed, seed + Array("garbage".utf8),
                seed + seed, Array(#"{"a":1,"a":2,"a":"x"}"#.utf8), [0, 0, 0, 0], Array("\u{FEFF}{}".utf8),
                Array(#"{"\u0000":1,"\ud800":2,"\uZZZZ":3}"#.utf8), Array(#"["\"#.utf8), Array(#"{"a":"\"#.utf8),
            ]
            return pick(cases)
        case .large:
            // Under the size limit but big: a long string or array inside a real message.
            let filler = chance(50) ? #""\#(String(repeating: "A", count: 150_000))""#
                : "[" + Array(repeating: "1.5", count: 40_000).joined(separator: ",") + "]"
            if let brace = seed.lastIndex(of: UInt8(ascii: "}")) {
                return Array(seed[..<brace]) + Array(#","big":"#.utf8) + Array(filler.utf8) + Array(seed[brace...])
            }
            return Array(filler.utf8)
        case .oversized:
            return seed + Array(repeating: UInt8(ascii: " "), count: 256 * 1024 + Int.random(in: 1...50_000, using: &random))
        }
    }

    /// Replaces some value tokens of a JSON text: numbers (`numbers`), or any scalar after a colon.
    private mutating func replaceTokens(in seed: [UInt8], numbers: Bool, replacements: [String]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(seed.count + 64)
        var index = 0
        var replaced = 0
        while index < seed.count {
            let byte = seed[index]
            let previous = result.last(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") })
            let valueStart = previous == UInt8(ascii: ":") || previous == UInt8(ascii: ",") || previous == UInt8(ascii: "[")
            let isNumberStart = byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            let isScalarStart = isNumberStart || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "t")
                || byte == UInt8(ascii: "f") || byte == UInt8(ascii: "n")
            if valueStart, numbers ? isNumberStart : (isScalarStart && previous == UInt8(ascii: ":")), chance(35) {
                var end = index + 1
                if byte == UInt8(ascii: "\"") {
                    while end < seed.count, seed[end] != UInt8(ascii: "\"") { end += seed[end] == UInt8(ascii: "\\") ? 2 : 1 }
                    end = min(end + 1, seed.count)
                } else {
                    while end < seed.count, !",}] \n\r\t".utf8.contains(seed[end]) { end += 1 }
                }
                result.append(contentsOf: Array(pick(replacements).utf8))
                replaced += 1
                index = end
                continue
            }
            result.append(byte)
            index += 1
        }
        if replaced == 0 { return Array(pick(replacements).utf8) + seed }
        return result
    }

    private mutating func randomJSON(into text: inout String, depth: Int) {
        switch Int.random(in: 0..<(depth > 5 ? 6 : 9), using: &random) {
        case 0: text += pick(["0", "-1", "21.5", "1e400", "NaN", "1763631000", "1763631000000", "4294967296", "-0.0"])
        case 1: text += pick(["true", "false", "null"])
        case 2: text += "\"" + pick(["", "ON", "OFF", "21.5 °C", "12.5 kWh", "2026-11-20T09:34:15Z", "a84041000181c0b2",
                                     "online", "offline", "\\u00e9", "\\ud83d\\ude00", "x\\ny"]) + "\""
        case 3, 4, 5:
            if let key = vocabulary.isEmpty ? nil : pick(vocabulary) { text += "\"" + key + "\"" } else { text += "\"k\"" }
        case 6:
            text += "["
            for item in 0..<Int.random(in: 0...4, using: &random) {
                if item > 0 { text += "," }
                randomJSON(into: &text, depth: depth + 1)
            }
            text += "]"
        default:
            text += "{"
            for member in 0..<Int.random(in: 0...6, using: &random) {
                if member > 0 { text += "," }
                text += "\"" + (vocabulary.isEmpty ? "k" : pick(vocabulary)) + "\":"
                randomJSON(into: &text, depth: depth + 1)
            }
            text += "}"
        }
    }

    /// The object keys appearing in a JSON text (`"key":`), for the random JSON's vocabulary.
    private static func keys(in payload: [UInt8]) -> Set<String> {
        var keys = Set<String>()
        var index = 0
        while index < payload.count {
            guard payload[index] == UInt8(ascii: "\"") else { index += 1; continue }
            var end = index + 1
            while end < payload.count, payload[end] != UInt8(ascii: "\""), payload[end] != UInt8(ascii: "\\") { end += 1 }
            guard end < payload.count, payload[end] == UInt8(ascii: "\"") else { index = end; continue }
            var after = end + 1
            while after < payload.count, payload[after] == UInt8(ascii: " ") { after += 1 }
            if after < payload.count, payload[after] == UInt8(ascii: ":"), end - index - 1 <= 40,
               let key = String(bytes: payload[(index + 1)..<end], encoding: .utf8) {
                keys.insert(key)
            }
            index = end + 1
        }
        return keys
    }
}
