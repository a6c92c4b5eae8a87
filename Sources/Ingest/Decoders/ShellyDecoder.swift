/// Decodes Shelly devices.
///
/// Gen2/Gen3 (device id = the MQTT prefix, `shellyplus1pm-a8032ab12345` by default or a custom
/// `mairie/chaufferie/pompe`):
/// - `{prefix}/status/{component}`: one component's status, flattened under its key (`switch:0.apower`,
///   `switch:0.aenergy.total`);
/// - `{prefix}/events/rpc`: `NotifyStatus`/`NotifyFullStatus` (changed components, time `params.ts`), `NotifyEvent`
///   (button presses and the like, not readings);
/// - `{prefix}/status`: every component's status at once, the device's answer to the `status_update` command on
///   `{prefix}/command` (time `sys.unixtime`);
/// - `{prefix}/online`: `true`/`false`.
///
/// Gen1 (`shellies/{id}/…`, one plain value per topic): the field is the levels after the id joined with dots
/// (`relay.0.power`); energy counters are in watt-minutes and say so (`Wmin`).
public struct ShellyDecoder: PayloadDecoder {
    /// Gen2 component types that measure or switch something. Others (`sys`, `cloud`, `mqtt`, `ble`…) describe
    /// the device's configuration and connectivity.
    static let measuringComponents: Set<String> = [
        "switch", "cover", "input", "light", "rgb", "rgbw", "cct",
        "em", "emdata", "em1", "em1data", "pm1",
        "temperature", "humidity", "illuminance", "devicepower", "voltmeter", "smoke", "flood", "bthomesensor",
        // Virtual components: scripts and thermostats (e.g. LinkedGo ST1820) publish their values there.
        "boolean", "number", "enum",
    ]

    /// Keys inside a component that are not readings: the component's own index, what caused the last change
    /// (`init`, `WS_in`…), and the per-minute energy history with its start time.
    static let componentMetadataKeys: Set<String> = ["id", "source"]
    static let energyHistoryKeys: Set<String> = ["by_minute", "minute_ts"]

    /// Gen1 last levels whose plain value is an energy counter in watt-minutes.
    static let gen1EnergyLevels: Set<String> = ["energy", "returned_energy"]

    /// A device publishes its uptime as `ts` until SNTP has set its clock (`"ts":1.61` right after boot); such a
    /// time is not a date, so the receive time is better. 2001-01-01T00:00:00Z, as for Tasmota.
    static let earliestPlausibleTime: Int64 = 978_307_200_000

    public init() {}

    public func decode(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        var messages = try decodeMessages(topic: topic, payload: payload, context: context)
        // A topic prefix with several levels (`shellies-gen2/<id>`) names the device through the `device` option.
        if let template = context.options["device"] {
            let device = try TopicTemplate(option: "device", text: template).resolve(topic: topic)
            for index in messages.indices { messages[index].deviceID = device }
        }
        return messages
    }

    private func decodeMessages(topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let levels = TopicLevels.split(topic)
        let count = levels.count
        // An empty payload clears a retained message; there is nothing to read in it.
        if PayloadText.isBlank(payload) { return [] }
        if count >= 3, levels[count - 2] == "status" {
            let device = try Self.device(levels[..<(count - 2)], topic: topic)
            return try componentStatus(device: device, component: levels[count - 1], payload: payload, context: context)
        }
        if count >= 3, levels[count - 2] == "events", levels[count - 1] == "rpc" {
            let device = try Self.device(levels[..<(count - 2)], topic: topic)
            return try rpcEvent(device: device, payload: payload, context: context)
        }
        if levels[0] == "shellies" {
            return try gen1(levels: levels, topic: topic, payload: payload, context: context)
        }
        if count >= 2, levels[count - 1] == "status" {
            let device = try Self.device(levels[..<(count - 1)], topic: topic)
            return try fullStatus(device: device, payload: payload, context: context)
        }
        if count >= 2, levels[count - 1] == "online" {
            let device = try Self.device(levels[..<(count - 1)], topic: topic)
            return [DecodedMessage(deviceID: device, status: try Self.online(payload))]
        }
        // Requests to the device (`{prefix}/rpc`, `{prefix}/command`) and its debug log are not readings.
        if count >= 2, levels[count - 1] == "rpc" || levels[count - 1] == "command" || levels[count - 2] == "debug" {
            return []
        }
        throw DecodeError("topic '\(topic)' is not a Shelly topic (expected {prefix}/status/{component}, {prefix}/events/rpc, {prefix}/status, {prefix}/online or shellies/{id}/…)")
    }

    private static func device(_ levels: ArraySlice<String>, topic: String) throws(DecodeError) -> String {
        guard !levels.isEmpty, !levels.contains(where: \.isEmpty) else {
            throw DecodeError("topic '\(topic)' has an empty level in the device prefix")
        }
        return levels.joined(separator: "/")
    }

    private static func online(_ payload: [UInt8]) throws(DecodeError) -> DeviceStatus {
        guard let text = PayloadText.trimmed(payload), let status = PayloadText.status(text, online: "true", offline: "false") else {
            throw DecodeError("online payload '\(PayloadText.excerpt(String(decoding: payload, as: UTF8.self)))' is neither true nor false")
        }
        return status
    }

    // MARK: - Gen2

    private func componentStatus(device: String, component: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let json = try parseJSON(payload)
        guard case .object = json else {
            throw DecodeError("status/\(component) payload must be a JSON object, got \(PayloadText.kind(of: json))")
        }
        let observations = Self.observations(component: component, status: json, context: context)
        guard !observations.isEmpty else { return [] }
        return [DecodedMessage(deviceID: device, observations: observations)]
    }

    private func rpcEvent(device: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let json = try parseJSON(payload)
        guard let method = json["method"]?.stringValue else {
            throw DecodeError("events/rpc payload has no string 'method'")
        }
        switch method {
        case "NotifyStatus", "NotifyFullStatus":
            guard case .object(let params)? = json["params"] else {
                throw DecodeError("\(method) has no 'params' object")
            }
            // `ts` is epoch seconds with a fraction (1631266595.43).
            let observations = Self.observations(components: params, context: context)
            guard !observations.isEmpty else { return [] }
            return [DecodedMessage(deviceID: device, time: Self.plausibleTime(params["ts"], context: context), observations: observations)]
        case _ where method.hasPrefix("Notify"):
            // NotifyEvent (button pushes, script events) and future notifications: events, not readings.
            return []
        default:
            throw DecodeError("events/rpc method '\(PayloadText.excerpt(method))' is not a notification (expected NotifyStatus, NotifyFullStatus or NotifyEvent)")
        }
    }

    /// `{prefix}/status`: the whole device status, keyed by component like `NotifyFullStatus`'s params. It has no
    /// `ts`; `sys.unixtime` is the device clock when it answered (`null` until SNTP has set it).
    private func fullStatus(device: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        let json = try parseJSON(payload)
        guard case .object(let components) = json else {
            throw DecodeError("status payload must be a JSON object of components, got \(PayloadText.kind(of: json))")
        }
        let observations = Self.observations(components: components, context: context)
        guard !observations.isEmpty else { return [] }
        let time = Self.plausibleTime(components["sys"]?["unixtime"], context: context)
        return [DecodedMessage(deviceID: device, time: time, observations: observations)]
    }

    /// Every component of a status object (`NotifyStatus` params, a full status) in key order; other members
    /// (`ts`) are not components.
    static func observations(components: JSONObject, context: DecodingContext) -> [Observation] {
        var observations: [Observation] = []
        for (key, status) in components.sortedByKey() {
            guard case .object = status else { continue }
            observations += Self.observations(component: key, status: status, context: context)
        }
        return observations
    }

    /// A device time in milliseconds, or `nil` when absent or from a clock that was never set.
    static func plausibleTime(_ value: JSONValue?, context: DecodingContext) -> Int64? {
        guard let value, let time = TimestampParser.milliseconds(from: value, timeZone: context.timeZone),
              time >= earliestPlausibleTime else { return nil }
        return time
    }

    /// One component's status flattened under its key; `wifi` contributes only its signal strength.
    static func observations(component: String, status: JSONValue, context: DecodingContext) -> [Observation] {
        let type = String(ByteText.firstNonEmptyComponent(component, separator: UInt8(ascii: ":")))
        if type == "wifi" {
            guard let rssi = status["rssi"], case .number(let value) = rssi else { return [] }
            return [Observation(field: component + ".rssi", value: .number(value))]
        }
        guard measuringComponents.contains(type) else { return [] }
        var status = removingEnergyHistory(status, depth: 0)
        if type == "devicepower" { status = removingBatteryOnExternalPower(status) }
        let flattener = JSONFlattener(timeZone: context.timeZone, skippedKeys: componentMetadataKeys)
        return flattener.observations(from: status, prefix: component)
    }

    /// A battery device powered over USB (Plus H&T with its USB adapter) still reports a battery, as
    /// `{"V":0.43,"percent":0}`: that is no battery at all, not an empty one that needs replacing.
    private static func removingBatteryOnExternalPower(_ status: JSONValue) -> JSONValue {
        guard case .object(var members) = status, status["external"]?["present"]?.boolValue == true else { return status }
        members["battery"] = nil
        return .object(members)
    }

    /// The status without `by_minute`/`minute_ts` (inside `aenergy`, `ret_aenergy`): per-minute history that
    /// the counter's total already covers.
    private static func removingEnergyHistory(_ value: JSONValue, depth: Int) -> JSONValue {
        guard depth < 16, case .object(let members) = value else { return value }
        // Most statuses have no history at all: nothing to rebuild.
        guard containsEnergyHistory(members, depth: depth) else { return value }
        let cleaned = members
            .filter { !energyHistoryKeys.contains($0.key) }
            .mapValues { removingEnergyHistory($0, depth: depth + 1) }
        return .object(cleaned)
    }

    /// Whether `removingEnergyHistory` would remove anything: a history key at a depth it visits.
    private static func containsEnergyHistory(_ members: JSONObject, depth: Int) -> Bool {
        for (key, member) in members {
            if energyHistoryKeys.contains(key) { return true }
            if depth + 1 < 16, case .object(let nested) = member, containsEnergyHistory(nested, depth: depth + 1) { return true }
        }
        return false
    }

    // MARK: - Gen1

    private func gen1(levels: [String], topic: String, payload: [UInt8], context: DecodingContext) throws(DecodeError) -> [DecodedMessage] {
        // `shellies/announce` and `shellies/command` are addressed to or from every device.
        guard levels.count >= 3 else {
            if levels.count == 2, levels[1] == "announce" || levels[1] == "command" { return [] }
            throw DecodeError("topic '\(topic)' has no device id and value after shellies/")
        }
        let device = levels[1]
        let path = levels[2...]
        guard !device.isEmpty, !path.contains(where: \.isEmpty) else {
            throw DecodeError("topic '\(topic)' has an empty level")
        }
        guard let first = path.first, let last = path.last else { return [] }
        if path.count == 1, first == "online" {
            return [DecodedMessage(deviceID: device, status: try Self.online(payload))]
        }
        // `announce`/`info` describe the device (and `info` repeats every per-topic value); `command` levels are
        // requests to it; `input_event` reports button pushes.
        if path.count == 1, first == "announce" || first == "info" { return [] }
        if last == "command" || first == "input_event" { return [] }

        let field = path.joined(separator: ".")
        guard let text = PayloadText.trimmed(payload) else {
            throw DecodeError("payload of '\(topic)' is not valid UTF-8")
        }
        if text.hasPrefix("{") || text.hasPrefix("[") {
            // `light/0/status`, `color/0/status`: a JSON status object.
            let json = try parseJSON(payload)
            let observations = JSONFlattener(timeZone: context.timeZone)
                .observations(from: json, prefix: field)
            return observations.isEmpty ? [] : [DecodedMessage(deviceID: device, observations: observations)]
        }
        guard let value = PayloadText.scalar(text) else { return [] }
        let unit = Self.gen1EnergyLevels.contains(last) ? "Wmin" : nil
        return [DecodedMessage(deviceID: device, observations: [Observation(field: field, value: value, unit: unit)])]
    }
}
