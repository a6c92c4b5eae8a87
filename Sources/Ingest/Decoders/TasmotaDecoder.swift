/// Decodes Tasmota: `tele/{topic}/SENSOR` (sensor readings), `tele/{topic}/STATE` (relays and Wi-Fi),
/// `tele/{topic}/LWT` (`Online`/`Offline`), `stat/{topic}/RESULT`, `stat/{topic}/POWER`, `stat/{topic}/STATUS8`…
/// The device id is Tasmota's `%topic%`.
///
/// Option `full_topic` (default `%prefix%/%topic%/`) is the device's FullTopic, e.g.
/// `emoncms/ch2i/factory/%topic%/%prefix%/` or, without a prefix level, `%topic%/`; the level after it is the
/// message kind (`SENSOR`, `STATE`…). A Zigbee bridge's `ZbReceived` reports become one message per Zigbee device.
public struct TasmotaDecoder: PayloadDecoder {
    public static let defaultFullTopic = "%prefix%/%topic%/"
    /// The default FullTopic, parsed once rather than for every message.
    static let defaultRouting = try! TasmotaFullTopic(defaultFullTopic)

    /// `tele/STATE` members kept as readings: relay states and link health. The rest (uptime strings, sleep
    /// settings, SSIDs) describes the firmware, not the installation.
    static let stateFields: Set<String> = ["Wifi.RSSI", "Wifi.Signal", "Vcc", "LoadAvg", "Heap"]

    /// Payload keys that describe the message rather than measure anything.
    static let metadataKeys: Set<String> = ["Time", "Epoch", "TempUnit", "PressureUnit", "SpeedUnit"]

    /// Members of a `ZbReceived` report that identify the Zigbee device rather than measure anything.
    static let zigbeeMetadataKeys: Set<String> = ["Device", "Name", "Endpoint"]

    /// Before NTP synchronisation Tasmota counts from 1970-01-01; such a time is the uptime, not the clock,
    /// so the receive time is better. 2001-01-01T00:00:00Z.
    static let earliestPlausibleTime: Int64 = 978_307_200_000

    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let fullTopic = try context.options["full_topic"].map(TasmotaFullTopic.init) ?? Self.defaultRouting
        let route = try fullTopic.match(topic)
        // An empty payload clears a retained message (LWT, POWER); there is nothing to read in it.
        if PayloadText.isBlank(payload) { return [] }
        switch route.prefix {
        case "cmnd": return []
        case "tele": return try telemetry(route, payload: payload, context: context)
        case "stat": return try status(route, payload: payload, context: context)
        default:
            throw DecodeError("topic '\(topic)': prefix '\(route.prefix)' is none of tele, stat, cmnd")
        }
    }

    private func telemetry(_ route: TasmotaFullTopic.Route, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        switch route.kind {
        case "LWT":
            guard let text = PayloadText.trimmed(payload),
                  let status = PayloadText.status(text, online: "online", offline: "offline") else {
                throw DecodeError("tele/LWT payload '\(PayloadText.excerpt(String(decoding: payload, as: UTF8.self)))' is neither Online nor Offline")
            }
            return [DecodedMessage(deviceID: route.device, status: status)]
        case "STATE":
            let members = try object(payload, route)
            return message(route.device, members, context: context, keeping: Self.isStateField)
        case _ where Self.isInfo(route.kind):
            // INFO1-3 are published once at boot: module, firmware version, IP address.
            return []
        default:
            // SENSOR, and whatever else a driver publishes under tele (RESULT from RF/IR bridges, MARGINS…).
            let members = try object(payload, route)
            return zigbeeMessages(route, members, context: context) ?? message(route.device, members, context: context)
        }
    }

    private func status(_ route: TasmotaFullTopic.Route, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let kind = route.kind
        if Self.isPower(kind) {
            guard let text = PayloadText.trimmed(payload) else {
                throw DecodeError("stat/\(kind) payload is not valid UTF-8")
            }
            // A plain `ON`/`OFF`; with SetOption4 the command reply `{"POWER":"ON"}` arrives here too.
            if !text.hasPrefix("{") {
                return [DecodedMessage(deviceID: route.device, observations: [Observation(field: kind, value: .string(text))])]
            }
        }
        let members = try object(payload, route)
        guard kind.hasPrefix("STATUS") else {
            // RESULT, and with SetOption4 the command's own name: a JSON object with the new values.
            return message(route.device, members, context: context)
        }
        return try statusReply(kind, members, device: route.device, context: context)
    }

    /// `STATUS8`/`STATUS10` (sensors, as in SENSOR), `STATUS11` (state, as in STATE), `STATUS0` (both).
    private func statusReply(_ kind: String, _ members: JSONObject, device: String,
                             context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let sensors = members["StatusSNS"]?.objectValue
        let state = members["StatusSTS"]?.objectValue
        if (kind == "STATUS8" || kind == "STATUS10"), sensors == nil {
            throw DecodeError("stat/\(kind) payload has no StatusSNS object")
        }
        if kind == "STATUS11", state == nil {
            throw DecodeError("stat/STATUS11 payload has no StatusSTS object")
        }
        // Other STATUS replies (firmware, network, MQTT settings…) carry no reading; STATUS0 carries both sections.
        var observations: [Observation] = []
        var time: Int64?
        if let sensors {
            observations += readings(sensors, context: context)
            time = Self.time(sensors, context: context)
        }
        if let state {
            observations += readings(state, context: context).filter { Self.isStateField($0.field) }
            time = time ?? Self.time(state, context: context)
        }
        guard !observations.isEmpty else { return [] }
        return [DecodedMessage(deviceID: device, time: time, observations: observations)]
    }

    // MARK: - Payload helpers

    private func object(_ payload: [UInt8], _ route: TasmotaFullTopic.Route) throws(DecodeError) -> JSONObject {
        let json: JSONValue
        do {
            json = try parseJSON(payload)
        } catch {
            throw DecodeError("\(route.prefix)/\(route.kind) payload: \(error.reason)")
        }
        guard case .object(let members) = json else {
            throw DecodeError("\(route.prefix)/\(route.kind) payload must be a JSON object, got \(PayloadText.kind(of: json))")
        }
        return members
    }

    private func message(_ device: String, _ members: JSONObject, context: DecodingContext,
                         keeping keep: (String) -> Bool = { _ in true }) -> [DecodedMessage] {
        let observations = readings(members, context: context).filter { keep($0.field) }
        guard !observations.isEmpty else { return [] }
        return [DecodedMessage(deviceID: device, time: Self.time(members, context: context), observations: observations)]
    }

    /// `{"ZbReceived":{"0x19D0":{"Name":…,"Temperature":24.42,…}}}` from a Zigbee bridge: one message per Zigbee
    /// device, so that a room sensor's fields are `Temperature` whichever bridge heard it and whatever its address.
    /// The device id is the one SetOption89 would put in the topic, `{bridge}/19D0`; when the topic already names
    /// the sub-device (SetOption89 on), it is the topic's. `nil` when the payload is not a Zigbee report.
    private func zigbeeMessages(_ route: TasmotaFullTopic.Route, _ members: JSONObject,
                                context: DecodingContext) -> [DecodedMessage]? {
        guard case .object(let reports)? = members["ZbReceived"] else { return nil }
        let flattener = JSONFlattener(timeZone: context.timeZone, skippedKeys: Self.zigbeeMetadataKeys)
        var messages: [DecodedMessage] = []
        for (key, report) in reports.sortedByKey() {
            guard case .object = report else { continue }
            let observations = flattener.observations(from: report)
            guard !observations.isEmpty else { continue }
            let device = route.hasSubdevice && reports.count == 1 ? route.device : route.device + "/" + Self.zigbeeAddress(key)
            messages.append(DecodedMessage(deviceID: device, observations: observations))
        }
        return messages
    }

    /// `0x19D0` → `19D0`, as SetOption89 writes short addresses in topics; a friendly name (SetOption83) is kept.
    static func zigbeeAddress(_ key: String) -> String {
        let hex = key.dropFirst(2)
        guard key.hasPrefix("0x"), !hex.isEmpty, hex.allSatisfy(\.isHexDigit) else { return key }
        return String(hex)
    }

    /// Every leaf except the metadata keys, with the unit that `TempUnit`/`PressureUnit`/`SpeedUnit` declares
    /// for the fields it governs (Tasmota converts temperatures to °F when `SetOption8` is on).
    private func readings(_ members: JSONObject, context: DecodingContext) -> [Observation] {
        let flattener = JSONFlattener(timeZone: context.timeZone, skippedKeys: Self.metadataKeys)
        let units = UnitDeclarations(members)
        return flattener.observations(from: .object(members)).map { observation in
            var observation = observation
            observation.unit = units.unit(for: observation.field)
            return observation
        }
    }

    /// The message time: `Epoch` (UTC, deep-sleep devices) when present, else `Time`, which is local time
    /// without an offset by default (the commune's time zone), with one under `SetOption52`, or epoch seconds.
    static func time(_ members: JSONObject, context: DecodingContext) -> Int64? {
        let candidates = [members["Epoch"], members["Time"]]
        for case let value? in candidates {
            if let time = TimestampParser.milliseconds(from: value, timeZone: context.timeZone), time >= earliestPlausibleTime {
                return time
            }
        }
        return nil
    }

    static func isStateField(_ field: String) -> Bool {
        stateFields.contains(field) || isPower(field)
    }

    /// `POWER`, `POWER1`, `POWER2`…
    static func isPower(_ name: String) -> Bool {
        name.hasPrefix("POWER") && allDigits(name.dropFirst(5))
    }

    private static func allDigits(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// `INFO1`, `INFO2`, `INFO3`.
    static func isInfo(_ name: String) -> Bool {
        name.hasPrefix("INFO") && name.count > 4 && allDigits(name.dropFirst(4))
    }
}

/// The unit keys Tasmota puts next to readings, and the fields each applies to (by last path component).
private struct UnitDeclarations {
    private var rules: [(suffixes: [String], unit: String)] = []

    init(_ members: JSONObject) {
        if let temperature = members["TempUnit"]?.stringValue, !temperature.isEmpty {
            let unit = switch temperature { case "C": "°C"; case "F": "°F"; default: temperature }
            // The dew point is converted with the temperatures.
            rules.append((["Temperature", "DewPoint"], unit))
        }
        if let pressure = members["PressureUnit"]?.stringValue, !pressure.isEmpty {
            rules.append((["Pressure"], pressure))
        }
        if let speed = members["SpeedUnit"]?.stringValue, !speed.isEmpty {
            rules.append((["Speed"], speed))
        }
    }

    func unit(for field: String) -> String? {
        guard !rules.isEmpty else { return nil }
        let name = ByteText.lastNonEmptyComponent(field, separator: UInt8(ascii: ".")) ?? Substring(field)
        return rules.first { rule in rule.suffixes.contains { name.hasSuffix($0) } }?.unit
    }
}

/// A Tasmota FullTopic such as `%prefix%/%topic%/`: which level holds the prefix (tele/stat/cmnd) and which the
/// device's topic. Tasmota also accepts `%hostname%` and `%id%` (the MAC) as the device's part.
///
/// A FullTopic may leave `%prefix%` out (`%topic%/`, seen on Linky TIC readers): Tasmota then publishes
/// `teleinfo/SENSOR` and `teleinfo/RESULT`, and subscribes to `teleinfo/cmnd/…`, appending the prefix only to
/// command topics. The message kind then tells telemetry from status replies.
struct TasmotaFullTopic: Sendable {
    /// One level of the template: literal text, or a token with optional literal text around it (`dev-%topic%`).
    enum Level: Sendable {
        case literal(String)
        case token(name: String, before: String, after: String)
    }

    /// What a topic says under this template.
    struct Route: Sendable {
        var prefix: String
        var device: String
        /// The last level: `SENSOR`, `STATE`, `LWT`, `RESULT`, `POWER1`, `STATUS8`…
        var kind: String
        /// Whether levels after the template name a sub-device (`tele/bridge/8A9C/SENSOR`, SetOption89).
        var hasSubdevice = false
    }

    static let tokens: Set<String> = ["prefix", "topic", "hostname", "id"]

    let text: String
    let levels: [Level]

    init(_ text: String) throws(DecodeError) {
        self.text = text
        var levels: [Level] = []
        for level in TopicLevels.split(text) where !level.isEmpty {
            levels.append(try Self.parseLevel(level, template: text))
        }
        let names = levels.compactMap { if case .token(let name, _, _) = $0 { name } else { nil } }
        guard names.contains(where: { $0 != "prefix" }) else {
            throw DecodeError("option full_topic '\(text)' has no %topic%, %hostname% or %id%")
        }
        self.levels = levels
    }

    private static func parseLevel(_ level: String, template: String) throws(DecodeError) -> Level {
        guard let open = level.firstIndex(of: "%") else { return .literal(level) }
        let afterOpen = level.index(after: open)
        guard let close = level[afterOpen...].firstIndex(of: "%") else {
            throw DecodeError("option full_topic '\(template)': unmatched '%' in level '\(level)'")
        }
        let name = String(level[afterOpen..<close])
        guard tokens.contains(name) else {
            throw DecodeError("option full_topic '\(template)': unknown token %\(name)% (expected %prefix%, %topic%, %hostname% or %id%)")
        }
        let after = String(level[level.index(after: close)...])
        guard !after.contains("%") else {
            throw DecodeError("option full_topic '\(template)': level '\(level)' has more than one token")
        }
        return .token(name: name, before: String(level[..<open]), after: after)
    }

    /// Splits a topic by the template. Levels between the template and the last one (Zigbee or BLE
    /// sub-devices with `SetOption89`: `tele/bridge/8A9C/SENSOR`) are appended to the device id.
    func match(_ topic: String) throws(DecodeError) -> Route {
        let parts = TopicLevels.split(topic)
        guard parts.count >= levels.count + 1 else {
            throw DecodeError("topic '\(topic)' is too short for full_topic '\(text)' (expected \(levels.count + 1) levels or more)")
        }
        var captured: [String: String] = [:]
        for (index, level) in levels.enumerated() {
            let part = parts[index]
            switch level {
            case .literal(let literal):
                guard part == literal else {
                    throw DecodeError("topic '\(topic)' does not match full_topic '\(text)': level \(index) is '\(part)', expected '\(literal)'")
                }
            case .token(let name, let before, let after) where before.isEmpty && after.isEmpty:
                // A level that is just the token (`%topic%`): any non-empty level, taken whole.
                guard !part.isEmpty else {
                    throw DecodeError("topic '\(topic)' does not match full_topic '\(text)': level \(index) '\(part)' has no %\(name)%")
                }
                captured[name] = part
            case .token(let name, let before, let after):
                guard part.count > before.count + after.count, part.hasPrefix(before), part.hasSuffix(after) else {
                    throw DecodeError("topic '\(topic)' does not match full_topic '\(text)': level \(index) '\(part)' has no %\(name)%")
                }
                captured[name] = String(part.dropFirst(before.count).dropLast(after.count))
            }
        }
        var extra = parts[levels.count..<(parts.count - 1)]
        guard let kind = parts.last, !kind.isEmpty, !extra.contains(where: \.isEmpty) else {
            throw DecodeError("topic '\(topic)' has an empty level after full_topic '\(text)'")
        }
        var prefix = captured["prefix"]
        if prefix == nil, extra.first == "cmnd" {
            // Without %prefix% in the FullTopic, Tasmota appends it to command topics only.
            prefix = "cmnd"
            extra = extra.dropFirst()
        }
        let own = captured["topic"] ?? captured["hostname"] ?? captured["id"] ?? ""
        let device = ([own] + extra).joined(separator: "/")
        return Route(prefix: prefix ?? Self.impliedPrefix(kind: kind), device: device, kind: kind, hasSubdevice: !extra.isEmpty)
    }

    /// The prefix Tasmota would have written for a message kind: command replies and relay states are `stat`,
    /// everything else (SENSOR, STATE, LWT, INFO…) is `tele`. RESULT decodes the same either way.
    static func impliedPrefix(kind: String) -> String {
        if kind == "RESULT" || kind.hasPrefix("STATUS") || TasmotaDecoder.isPower(kind) { return "stat" }
        return "tele"
    }
}

