/// The readings one device measured at one instant, packed into one blob of the `measurements` table.
///
/// Why: a message carries several metrics (7.9 on average in the benchmark). One row per message instead of one
/// per metric means 8× fewer B-tree inserts, and a batch dirties one page per device instead of one per series.
///
/// Format: entries in ascending series order, each the LEB128 varint of the series id's increase over the
/// previous entry's (the first: over 0), then the value as an IEEE-754 double, little-endian. A device's series
/// are usually created together, so most increases take one byte: about 9 bytes a reading.
public struct PackedReadings: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var series: Int64
        public var value: Double
        public init(series: Int64, value: Double) {
            self.series = series
            self.value = value
        }
    }

    /// In ascending series order, one entry per series.
    public private(set) var entries: [Entry]

    /// - Parameter entries: one per series, in any order (sorted here).
    public init(_ entries: [Entry]) {
        self.entries = entries.sorted { $0.series < $1.series }
    }

    /// Decodes a stored blob; a damaged tail is ignored (the entries before it are kept).
    public init(bytes: UnsafeRawBufferPointer) {
        var entries: [Entry] = []
        entries.reserveCapacity(bytes.count / 9)
        Self.forEach(in: bytes) { series, value in
            entries.append(Entry(series: series, value: value))
            return true
        }
        self.entries = entries
    }

    public init(bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { PackedReadings(bytes: $0) }
    }

    /// Adds the readings of series not present yet; returns those added (a series already present keeps its
    /// value: the first reading of a series at one instant wins, a repeat is a duplicate).
    public mutating func merge(_ other: [Entry]) -> [Entry] {
        let added = other.filter { index(of: $0.series) == nil }
        if !added.isEmpty { entries = (entries + added).sorted { $0.series < $1.series } }
        return added
    }

    private func index(of series: Int64) -> Int? {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].series < series { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].series == series ? low : nil
    }

    /// The blob to store.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        Self.encode(entries, into: &bytes)
        return bytes
    }

    /// Appends the encoding of `entries` (ascending, distinct series ids ≥ 1) to `bytes`.
    public static func encode(_ entries: [Entry], into bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + entries.count * 10)
        var previous: Int64 = 0
        for entry in entries {
            var delta = UInt64(bitPattern: entry.series &- previous)
            previous = entry.series
            while delta >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: delta) | 0x80)
                delta >>= 7
            }
            bytes.append(UInt8(delta))
            var bits = entry.value.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
        }
    }

    /// The value of one series in a stored blob, without decoding the rest (the `reading_value` SQL function).
    public static func value(of series: Int64, in bytes: UnsafeRawBufferPointer) -> Double? {
        var found: Double?
        forEach(in: bytes) { entrySeries, value in
            if entrySeries == series { found = value }
            return entrySeries < series
        }
        return found
    }

    /// Calls `body` with each entry until it returns false or the bytes end (or turn out damaged).
    private static func forEach(in bytes: UnsafeRawBufferPointer, _ body: (Int64, Double) -> Bool) {
        var offset = 0
        var series: Int64 = 0
        while offset < bytes.count {
            var delta: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < bytes.count, shift < 64 else { return }
                let byte = bytes[offset]
                offset += 1
                delta |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            guard offset + 8 <= bytes.count else { return }
            let bits = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
            series &+= Int64(bitPattern: delta)
            if !body(series, Double(bitPattern: UInt64(littleEndian: bits))) { return }
        }
    }
}
