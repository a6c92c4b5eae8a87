import Foundation

extension InventoryLoader {
    static let assetColumns = ["id", "name", "type", "domain", "parent", "address", "latitude", "longitude"]
    static let deviceColumns = ["id", "profile", "asset", "name"]

    /// Imports a CSV file of assets or devices (see `InventoryLoader` for the columns).
    ///
    /// Messages point at the file's lines: the header is line 1 and data row *n* (from 0) is line *n* + 2
    /// when the file has no blank or comment lines.
    static func readCSV(_ file: String, kind: String, into builder: InventoryBuilder) {
        guard let table = CSVTable.read(file, log: builder.log) else { return }
        if let duplicate = Dictionary(grouping: table.header, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            builder.log.add(file, line: table.headerLine, "column '\(duplicate)' appears twice in the header: keep one")
            return
        }
        if let empty = table.header.firstIndex(of: "") {
            builder.log.add(file, line: table.headerLine, "column \(empty + 1) of the header has no name: name it or remove it")
            return
        }
        if kind == "assets" {
            readAssetRows(table, into: builder)
        } else {
            readDeviceRows(table, into: builder)
        }
    }

    private static func missingColumns(_ table: CSVTable, required: [String], kind: String, log: IssueLog) -> Bool {
        let missing = required.filter { !table.header.contains($0) }
        guard !missing.isEmpty else { return false }
        let names = missing.map { "'\($0)'" }.joined(separator: ", ")
        log.add(table.file, line: table.headerLine,
                "missing column\(missing.count > 1 ? "s" : "") \(names) in the header: \(kind) CSV files need the columns \(required.joined(separator: ", "))")
        return true
    }

    private static func readAssetRows(_ table: CSVTable, into builder: InventoryBuilder) {
        let log = builder.log
        guard !missingColumns(table, required: ["id", "type", "domain"], kind: "assets", log: log) else { return }
        let attributeColumns = table.header.filter { !assetColumns.contains($0) }
        let decimalComma = table.delimiter == ";"
        forEachRow(of: table, log: log, missingID: "missing 'id' in this row: every asset needs a unique id") { values, location, id in
            var type: AssetType?
            var domain: Domain?
            switch values["type"].map(InventoryVocabulary.assetType) {
            case .success(let value): type = value
            case .failure(let message): log.add(location, message.text)
            case nil: log.add(location, "missing 'type' for asset '\(id)'")
            }
            switch values["domain"].map(InventoryVocabulary.domain) {
            case .success(let value): domain = value
            case .failure(let message): log.add(location, message.text)
            case nil: log.add(location, "missing 'domain' for asset '\(id)'")
            }
            let coordinates = csvCoordinates(values, decimalComma: decimalComma, location: location, log: log)
            var attributes: [String: AttributeValue] = [:]
            for column in attributeColumns {
                if let text = values[column] {
                    attributes[column] = InventoryVocabulary.attribute(fromText: text, decimalComma: decimalComma)
                }
            }
            guard builder.declareAsset(id, at: location), let type, let domain else { return }
            builder.add(Asset(id: id, name: values["name"] ?? id, type: type, domain: domain, parent: values["parent"],
                              address: values["address"], coordinates: coordinates, attributes: attributes), at: location)
        }
    }

    private static func csvCoordinates(_ values: [String: String], decimalComma: Bool, location: SourceLocation, log: IssueLog) -> Coordinates? {
        func coordinate(_ column: String, _ range: ClosedRange<Double>) -> Double? {
            guard let text = values[column] else { return nil }
            guard let value = InventoryVocabulary.number(text, decimalComma: decimalComma) else {
                log.add(location, "'\(column)' must be a number in decimal degrees, got '\(text)'")
                return nil
            }
            guard range.contains(value) else {
                log.add(location, "'\(column)' must be between \(Int(range.lowerBound)) and \(Int(range.upperBound)), got \(text)")
                return nil
            }
            return value
        }
        let latitude = coordinate("latitude", -90...90)
        let longitude = coordinate("longitude", -180...180)
        if (values["latitude"] == nil) != (values["longitude"] == nil) {
            log.add(location, "give both 'latitude' and 'longitude', or neither")
        }
        guard let latitude, let longitude else { return nil }
        return Coordinates(latitude: latitude, longitude: longitude)
    }

    private static func readDeviceRows(_ table: CSVTable, into builder: InventoryBuilder) {
        let log = builder.log
        let unknown = table.header.filter { !deviceColumns.contains($0) }
        for column in unknown {
            log.add(table.file, line: table.headerLine, Suggestions.unknown("column", column, in: "a devices CSV", expected: deviceColumns))
        }
        guard unknown.isEmpty, !missingColumns(table, required: ["id", "profile"], kind: "devices", log: log) else { return }
        let missingID = "missing 'id' in this row: the DevEUI, Zigbee2MQTT friendly name, Tasmota topic or Shelly id"
        forEachRow(of: table, log: log, missingID: missingID) { values, location, raw in
            let id = DeviceBinding.normalizedID(raw)
            guard builder.declareDevice(id, at: location) else { return }
            guard let profile = values["profile"] else {
                log.add(location, "missing 'profile' for device '\(id)'")
                return
            }
            builder.add(DeviceBinding(id: id, profile: profile, asset: values["asset"], name: values["name"]), at: location)
        }
    }

    /// Calls `body` with each data row's values, location and `id`; a row without an id gets the issue
    /// `missingID` and is skipped.
    private static func forEachRow(of table: CSVTable, log: IssueLog, missingID: String,
                                   _ body: (_ values: [String: String], _ location: SourceLocation, _ id: String) -> Void) {
        for row in table.rows {
            let values = table.values(of: row)
            let location = SourceLocation(file: table.file, line: row.line)
            guard let id = values["id"] else {
                log.add(location, missingID)
                continue
            }
            body(values, location, id)
        }
    }
}
