/// The members of a JSON object, in document order: a contiguous array of `(key, value)` with unique keys.
///
/// Telemetry objects have a handful of keys, and most are read once or twice, so a linear scan beats hashing
/// every key into a `Dictionary` (which costs a hash per member, a rehash per growth step and the allocations).
/// It behaves as `[String: JSONValue]` did otherwise:
/// - keys are unique, compared as Swift strings (canonical equivalence: `"é"` and `"e\u{301}"` are one key);
/// - a duplicated key in a document keeps the **last** value, at the position (and with the spelling) of the
///   first occurrence, as `dictionary[key] = value` did;
/// - equality ignores member order.
///
/// Iteration is in document order (a `Dictionary` had none): code whose output must not depend on the
/// producer's key order sorts (`sortedByKey()`).
public struct JSONObject: Sendable {
    public typealias Element = (key: String, value: JSONValue)

    /// One member. A struct rather than the `Element` tuple: arrays of it are created and destroyed by
    /// specialised code, without looking up tuple metadata at run time.
    @usableFromInline
    internal struct Member: Sendable {
        @usableFromInline var key: String
        @usableFromInline var value: JSONValue

        @inlinable
        init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    @usableFromInline
    internal var members: [Member]

    /// An empty object.
    @inlinable
    public init() { members = [] }

    /// An empty object with room for `minimumCapacity` members.
    @inlinable
    public init(minimumCapacity: Int) {
        members = []
        members.reserveCapacity(minimumCapacity)
    }

    /// Members whose keys the caller guarantees to be unique (the parser, `filter`, `mapValues`).
    @usableFromInline
    internal init(uniqueMembers: [Member]) { members = uniqueMembers }

    /// The members in order; a key given more than once keeps its first position and its last value.
    public init(_ members: some Sequence<(String, JSONValue)>) {
        var positions: [String: Int] = [:]
        var unique: [Member] = []
        for (key, value) in members {
            if let position = positions[key] {
                unique[position].value = value
            } else {
                positions[key] = unique.count
                unique.append(Member(key: key, value: value))
            }
        }
        self.members = unique
    }

    /// The position of `key`, if present.
    @inlinable
    public func index(forKey key: String) -> Int? {
        members.withUnsafeBufferPointer { buffer in
            for index in buffer.indices where buffer[index].key == key { return index }
            return nil
        }
    }

    /// The value of `key`, or `nil` when absent. Setting `nil` removes the member; setting a value replaces the
    /// existing member's value in place, or appends a new member.
    @inlinable
    public subscript(key: String) -> JSONValue? {
        get {
            members.withUnsafeBufferPointer { buffer in
                for index in buffer.indices where buffer[index].key == key { return buffer[index].value }
                return nil
            }
        }
        set {
            if let index = index(forKey: key) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Removes `key`'s member and returns its value, keeping the others in order.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let index = index(forKey: key) else { return nil }
        return members.remove(at: index).value
    }

    /// The keys in document order.
    @inlinable
    public var keys: LazyMapCollection<JSONObject, String> { lazy.map { $0.key } }

    /// The values in document order.
    @inlinable
    public var values: LazyMapCollection<JSONObject, JSONValue> { lazy.map { $0.value } }

    /// The members whose `(key, value)` satisfy `isIncluded`, in order (as `Dictionary.filter`).
    public func filter(_ isIncluded: (Element) throws -> Bool) rethrows -> JSONObject {
        JSONObject(uniqueMembers: try members.filter { try isIncluded(($0.key, $0.value)) })
    }

    /// The same keys with transformed values (as `Dictionary.mapValues`).
    public func mapValues(_ transform: (JSONValue) throws -> JSONValue) rethrows -> JSONObject {
        JSONObject(uniqueMembers: try members.map { Member(key: $0.key, value: try transform($0.value)) })
    }

    /// The members sorted by key (`String` order, as `keys.sorted()` gave): the order to produce output in
    /// when it must not depend on how the producer ordered its keys. Free when already sorted.
    public func sortedByKey() -> JSONObject {
        var sorted = true
        members.withUnsafeBufferPointer { buffer in
            var index = 1
            while index < buffer.count {
                if !(buffer[index - 1].key < buffer[index].key) { sorted = false; return }
                index += 1
            }
        }
        return sorted ? self : JSONObject(uniqueMembers: members.sorted { $0.key < $1.key })
    }
}

extension JSONObject: RandomAccessCollection {
    public typealias Index = Int

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { members.count }
    @inlinable public var count: Int { members.count }
    @inlinable public var isEmpty: Bool { members.isEmpty }
    @inlinable public subscript(position: Int) -> Element {
        let member = members[position]
        return (member.key, member.value)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// As with a `Dictionary` literal, a key must not appear twice.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(minimumCapacity: elements.count)
        for (key, value) in elements {
            precondition(index(forKey: key) == nil, "JSONObject literal contains duplicate key '\(key)'")
            members.append(Member(key: key, value: value))
        }
    }
}

extension JSONObject: Equatable {
    /// Same keys with equal values, in any order (as `Dictionary`'s equality).
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        // Usually the same document order: compare pairwise, and look keys up only from the first difference on.
        var index = 0
        while index < lhs.count, lhs.members[index].key == rhs.members[index].key {
            guard lhs.members[index].value == rhs.members[index].value else { return false }
            index += 1
        }
        guard index < lhs.count else { return true }
        if lhs.count - index <= 16 {
            while index < lhs.count {
                let member = lhs.members[index]
                guard let other = rhs[member.key], other == member.value else { return false }
                index += 1
            }
            return true
        }
        // Large objects in different orders: a hash lookup per key rather than a scan.
        var others = [String: JSONValue](minimumCapacity: rhs.count - index)
        for member in rhs.members[index...] { others[member.key] = member.value }
        for member in lhs.members[index...] {
            guard let other = others[member.key], other == member.value else { return false }
        }
        return true
    }
}

extension JSONObject: CustomStringConvertible, CustomDebugStringConvertible {
    /// As a `Dictionary` prints: `["key": Ingest.JSONValue.number(1.0)]`, in document order.
    public var description: String {
        guard !isEmpty else { return "[:]" }
        return "[" + members.map { String(reflecting: $0.key) + ": " + String(reflecting: $0.value) }.joined(separator: ", ") + "]"
    }

    public var debugDescription: String { description }
}
