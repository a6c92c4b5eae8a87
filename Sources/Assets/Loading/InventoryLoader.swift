import Foundation

/// Loads the commune's inventory — assets and device bindings — from YAML files and the CSV files they import.
///
/// An inventory file has three optional sections: `assets` and `devices` (lists of mappings) and `import`
/// (a list of `{file: x.csv, kind: assets|devices}`, paths relative to the YAML file). Checks made across
/// all files: unique asset ids and device ids (both locations reported), parents that exist, no parent
/// cycles, devices bound to assets that exist and, when profiles are given, to profiles that exist.
///
/// CSV imports have a header row. Assets: `id`, `type`, `domain` required; `name` (defaults to the id),
/// `parent`, `address`, `latitude`, `longitude` optional; any other column is an attribute named after it
/// (`nominal_power_w`), typed as: `true`/`false` → boolean, a decimal number → number (except digit strings
/// with a leading zero or of 10 digits or more, such as postcodes or PRM numbers, which stay text), anything
/// else → text; an empty cell means "absent". Devices: `id`, `profile` required; `asset`, `name` optional.
/// The delimiter (`,`, `;` or tab) is taken from the header; with `;`, decimal commas are accepted. Blank lines
/// and lines starting with `#` are skipped. Messages give the file's line: the header is line 1 and data row
/// *n* (from 0) is line *n* + 2 when there are no blank or comment lines. Cells may be quoted, but a quoted
/// cell cannot span several lines (multi-line cells are not supported).
///
/// Device ids are normalised with `DeviceBinding.normalizedID(_:)` (DevEUIs to 16 lowercase hex digits).
public enum InventoryLoader {
    /// Loads and validates the inventory files.
    ///
    /// - Parameters:
    ///   - paths: YAML inventory files, relative to the current directory when not absolute.
    ///   - profiles: when given, every device's profile must be one of these.
    /// - Throws: `ValidationFailed` with every issue found.
    public static func load(paths: [String], profiles: [String: DeviceProfile]? = nil) throws -> Inventory {
        let log = IssueLog()
        let inventory = read(paths: paths, knownProfiles: profiles.map { Set($0.keys) }, log: log)
        try log.throwIfAny()
        return inventory
    }

    /// Reads every file, logging issues; what is valid is kept so that later checks stay meaningful.
    ///
    /// - Parameter knownProfiles: profile ids devices may use (including ids of profiles that failed to load,
    ///   so a broken profile is not reported a second time through each of its devices); `nil` skips the check.
    static func read(paths: [String], knownProfiles: Set<String>?, log: IssueLog) -> Inventory {
        let builder = InventoryBuilder(log: log)
        for path in paths {
            readYAML(FilePaths.resolve(path), into: builder)
        }
        builder.validate(knownProfiles: knownProfiles)
        return builder.inventory
    }
}

/// Accumulates assets and devices from every file, remembering where each id was declared.
final class InventoryBuilder {
    let log: IssueLog
    private(set) var assets: [(asset: Asset, location: SourceLocation)] = []
    private(set) var devices: [(device: DeviceBinding, location: SourceLocation)] = []
    /// Every asset id declared, valid or not, so references to an invalid asset are not reported twice.
    private var assetLocations: [String: SourceLocation] = [:]
    private var deviceLocations: [String: SourceLocation] = [:]

    init(log: IssueLog) {
        self.log = log
    }

    var inventory: Inventory {
        Inventory(assets: assets.map(\.asset), devices: devices.map(\.device))
    }

    /// Records an asset id; `false` (and an issue) when it is already declared.
    func declareAsset(_ id: String, at location: SourceLocation) -> Bool {
        declare(id, at: location, in: &assetLocations) { first in
            "duplicate asset id '\(id)': already declared at \(first); asset ids must be unique across all inventory files"
        }
    }

    /// Records a device id (already normalised); `false` (and an issue) when it is already declared.
    func declareDevice(_ id: String, at location: SourceLocation) -> Bool {
        declare(id, at: location, in: &deviceLocations) { first in
            "duplicate device id '\(id)': already declared at \(first); a device can be bound only once"
        }
    }

    /// Records where `id` is declared; `false` when `locations` already has it, with the issue `duplicate` words
    /// from the first declaration's location.
    private func declare(_ id: String, at location: SourceLocation, in locations: inout [String: SourceLocation],
                         duplicate: (_ first: SourceLocation) -> String) -> Bool {
        if let first = locations[id] {
            log.add(location, duplicate(first))
            return false
        }
        locations[id] = location
        return true
    }

    func add(_ asset: Asset, at location: SourceLocation) {
        assets.append((asset, location))
    }

    func add(_ device: DeviceBinding, at location: SourceLocation) {
        devices.append((device, location))
    }

    /// Checks that span files: parents, parent cycles, device assets and profiles.
    func validate(knownProfiles: Set<String>?) {
        let declaredAssets = assetLocations.keys.sorted()
        for (asset, location) in assets {
            guard let parent = asset.parent else { continue }
            if parent == asset.id {
                log.add(location, "asset '\(asset.id)' names itself as parent: remove 'parent' or name the enclosing asset")
            } else if assetLocations[parent] == nil {
                log.add(location, "asset '\(asset.id)' has unknown parent '\(parent)'\(Suggestions.didYouMean(parent, in: declaredAssets)): declare that asset or fix the id")
            }
        }
        reportCycles()
        for (device, location) in devices {
            if let asset = device.asset, assetLocations[asset] == nil {
                log.add(location, "device '\(device.id)' is bound to unknown asset '\(asset)'\(Suggestions.didYouMean(asset, in: declaredAssets)): declare the asset or fix the id")
            }
            if let knownProfiles, !knownProfiles.contains(device.profile) {
                log.add(location, "device '\(device.id)' uses unknown profile '\(device.profile)'\(Suggestions.didYouMean(device.profile, in: knownProfiles.sorted())): profiles are the 'id' of the files in the profiles folders")
            }
        }
    }

    /// Reports each parent cycle once, at the first asset of the cycle in declaration order.
    private func reportCycles() {
        let parents = Dictionary(assets.map { ($0.asset.id, $0.asset.parent) }, uniquingKeysWith: { first, _ in first })
        var reported: Set<String> = []
        for (asset, location) in assets where !reported.contains(asset.id) {
            var chain = [asset.id]
            var current = parents[asset.id] ?? nil
            while let next = current, next != asset.id, !chain.contains(next), chain.count <= parents.count {
                chain.append(next)
                current = parents[next] ?? nil
            }
            // Self-parents are reported by `validate`; only longer cycles through this asset are reported here.
            guard current == asset.id, chain.count > 1 else { continue }
            reported.formUnion(chain)
            let path = (chain + [asset.id]).joined(separator: " → ")
            log.add(location, "parent cycle: \(path); an asset cannot contain itself: fix one of these 'parent' values")
        }
    }
}
