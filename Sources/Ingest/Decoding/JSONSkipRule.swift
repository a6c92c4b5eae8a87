/// The members of a JSON document that a decoder never reads, by position in the document.
///
/// The parser checks a skipped value like any other (bad JSON there is rejected with the same reason) but builds
/// nothing of it: `null` stands in, so the member is still present for "does it have this key" tests and error
/// hints. A ChirpStack v4 uplink is 1.2 KB of which the gateway reads a third; its identifiers, names and base64
/// blobs were most of the strings the parser allocated.
public final class JSONSkipRule: Sendable {
    private let skipped: [[UInt8]]
    private let members: [(key: [UInt8], rule: JSONSkipRule)]
    /// The rule for each element when the value is an array.
    let elements: JSONSkipRule?

    /// - Parameters:
    ///   - skipping: member names whose values are not kept (in an object at this position).
    ///   - members: rules for the values of these members.
    ///   - elements: the rule for each element of an array at this position.
    public init(skipping: [String] = [], members: [String: JSONSkipRule] = [:], elements: JSONSkipRule? = nil) {
        self.skipped = skipping.map { Array($0.utf8) }
        self.members = members.map { (Array($0.key.utf8), $0.value) }
        self.elements = elements
    }

    /// True when the member named by these (unescaped, ASCII) bytes is skipped.
    func skips(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        skipped.contains { Self.equal($0, name) }
    }

    /// The rule for the value of the member named by these bytes.
    func rule(for name: UnsafeBufferPointer<UInt8>) -> JSONSkipRule? {
        members.first { Self.equal($0.key, name) }?.rule
    }

    private static func equal(_ bytes: [UInt8], _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == name.count && bytes.withUnsafeBufferPointer { $0.elementsEqual(name) }
    }
}
