import Foundation

extension DeviceBinding {
    /// A device identity as the inventory stores it and as messages are matched against it.
    ///
    /// Surrounding spaces are removed. A LoRaWAN DevEUI — 16 hexadecimal digits, also accepted as 8 pairs
    /// separated by `-` or `:` (`A8-40-41-00-01-81-C0-B2`) — becomes 16 lowercase digits (`a84041000181c0b2`),
    /// the form the LoRaWAN decoders produce. Other identities (Zigbee2MQTT friendly names, Tasmota topics,
    /// Shelly ids) are kept as written: they are case-sensitive.
    public static func normalizedID(_ raw: String) -> String {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if isHex(trimmed), trimmed.count == 16 { return trimmed.lowercased() }
        for separator in ["-", ":"] {
            let pairs = trimmed.components(separatedBy: separator)
            if pairs.count == 8, pairs.allSatisfy({ $0.count == 2 && isHex($0) }) {
                return pairs.joined().lowercased()
            }
        }
        return trimmed
    }

    private static func isHex(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { CharacterSet(charactersIn: "0123456789abcdefABCDEF").contains($0) }
    }
}
