import Foundation
import Yams

extension InventoryLoader {
    static let fileKeys = ["assets", "devices", "import"]
    static let assetKeys = ["id", "name", "type", "domain", "parent", "address", "latitude", "longitude", "attributes"]
    static let deviceKeys = ["id", "profile", "asset", "name"]
    static let importKeys = ["file", "kind"]

    /// Reads one YAML inventory file and the CSV files it imports.
    static func readYAML(_ file: String, into builder: InventoryBuilder) {
        guard let root = YAMLDocument.load(file, what: "inventory file", log: builder.log) else { return }
        let reader = YAMLReader(file: file, log: builder.log)
        guard let top = reader.mapping(root, "the inventory file", keys: fileKeys) else { return }
        for (index, item) in (top.list("assets") ?? []).enumerated() {
            readAsset(item, index: index, reader: reader, into: builder)
        }
        for (index, item) in (top.list("devices") ?? []).enumerated() {
            readDevice(item, index: index, reader: reader, into: builder)
        }
        for (index, item) in (top.list("import") ?? []).enumerated() {
            guard let entry = reader.mapping(item, "import \(index + 1)", keys: importKeys) else { continue }
            let path = entry.text("file", required: true, hint: "the CSV file to import, relative to this file")
            let kind = entry.text("kind", required: true, hint: "'assets' or 'devices'")
            if let kind, !InventoryVocabulary.importKinds.contains(kind) {
                reader.log.add(file, line: entry.line(of: "kind"), Suggestions.unknown("import kind", kind, expected: InventoryVocabulary.importKinds))
                continue
            }
            guard let path, let kind else { continue }
            let csvFile = FilePaths.resolve(path, relativeTo: FilePaths.directory(of: file))
            guard FilePaths.isFile(csvFile) else {
                reader.log.add(file, line: entry.line(of: "file"), "imported file not found: \(csvFile)")
                continue
            }
            readCSV(csvFile, kind: kind, into: builder)
        }
    }

    private static func readAsset(_ node: Node, index: Int, reader: YAMLReader, into builder: InventoryBuilder) {
        let context = YAMLReader.entryName("asset", key: "id", in: node, index: index)
        guard let entry = reader.mapping(node, context, keys: assetKeys) else { return }
        let location = SourceLocation(file: reader.file, line: entry.line)
        let id = entry.text("id", required: true, hint: "a unique identifier such as MAIRIE or EP-A1-001")
        let type = entry.text("type", required: true, hint: "one of \(InventoryVocabulary.assetTypes.joined(separator: ", "))").flatMap { raw in
            vocabulary(InventoryVocabulary.assetType(raw), line: entry.line(of: "type"), reader: reader)
        }
        let domain = entry.text("domain", required: true, hint: "one of \(InventoryVocabulary.domains.joined(separator: ", "))").flatMap { raw in
            vocabulary(InventoryVocabulary.domain(raw), line: entry.line(of: "domain"), reader: reader)
        }
        let name = entry.text("name")
        let parent = entry.text("parent")
        let address = entry.text("address")
        let coordinates = entry.coordinates()
        let attributes = readAttributes(entry, reader: reader)
        guard let id, builder.declareAsset(id, at: location), let type, let domain else { return }
        builder.add(Asset(id: id, name: name ?? id, type: type, domain: domain, parent: parent, address: address,
                          coordinates: coordinates, attributes: attributes), at: location)
    }

    private static func readDevice(_ node: Node, index: Int, reader: YAMLReader, into builder: InventoryBuilder) {
        let context = YAMLReader.entryName("device", key: "id", in: node, index: index)
        guard let entry = reader.mapping(node, context, keys: deviceKeys) else { return }
        let location = SourceLocation(file: reader.file, line: entry.line)
        let id = entry.text("id", required: true, hint: "the DevEUI, Zigbee2MQTT friendly name, Tasmota topic or Shelly id").map(DeviceBinding.normalizedID)
        let profile = entry.text("profile", required: true, hint: "the id of a device profile, e.g. dragino-lht65")
        let asset = entry.text("asset")
        let name = entry.text("name")
        guard let id, builder.declareDevice(id, at: location), let profile else { return }
        builder.add(DeviceBinding(id: id, profile: profile, asset: asset, name: name), at: location)
    }

    private static func readAttributes(_ entry: YAMLMapping, reader: YAMLReader) -> [String: AttributeValue] {
        guard let node = entry.node("attributes") else { return [:] }
        guard case .mapping(let mapping) = node else {
            reader.issue(node, "'attributes' must be a mapping of 'name: value' lines, not \(node.kindDescription)")
            return [:]
        }
        var attributes: [String: AttributeValue] = [:]
        for (keyNode, value) in mapping {
            guard let key = reader.nonEmptyText(keyNode, "attributes") else { continue }
            guard case .scalar(let scalar) = value else {
                reader.issue(value, "attribute '\(key)' must be a single value (number, text, true or false), not \(value.kindDescription)")
                continue
            }
            if value.isNull { continue }
            attributes[key] = attribute(scalar)
        }
        return attributes
    }

    /// A YAML scalar typed as YAML types it: unquoted numbers are numbers, unquoted true/false are booleans.
    private static func attribute(_ scalar: Node.Scalar) -> AttributeValue {
        let text = scalar.string
        guard scalar.style == .plain || scalar.style == .any else { return .text(text) }
        switch Resolver.default.resolveTag(of: .scalar(scalar)) {
        case .int, .float:
            if let number = Double(text.replacingOccurrences(of: "_", with: "")), number.isFinite { return .number(number) }
        case .bool:
            if ["true", "True", "TRUE"].contains(text) { return .bool(true) }
            if ["false", "False", "FALSE"].contains(text) { return .bool(false) }
        default:
            break
        }
        return .text(text)
    }

    private static func vocabulary<T>(_ result: Result<T, InventoryVocabulary.Message>, line: Int?, reader: YAMLReader) -> T? {
        switch result {
        case .success(let value):
            return value
        case .failure(let message):
            reader.log.add(reader.file, line: line, message.text)
            return nil
        }
    }
}
