/// One MQTT message as received, before any decoding: what the journal keeps.
public struct JournalRecord: Sendable, Equatable {
    /// Receive time in milliseconds since the Unix epoch.
    public var receivedAt: Int64
    /// The name of the subscription it arrived on (selects the decoder).
    public var subscription: String
    public var topic: String
    public var payload: [UInt8]

    public init(receivedAt: Int64, subscription: String, topic: String, payload: [UInt8]) {
        self.receivedAt = receivedAt
        self.subscription = subscription
        self.topic = topic
        self.payload = payload
    }

    /// A 64-bit FNV-1a hash of subscription, topic and payload (their UTF-8 and bytes, each string followed by
    /// a zero byte): recognises an MQTT redelivery. Hashes are compared across restarts, so the function must
    /// never change.
    public var contentHash: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: UnsafeBufferPointer<UInt8>) {
            var h = hash
            for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            hash = h
        }
        func mixZero() { hash = hash &* 0x0000_0100_0000_01B3 } // hash ^ 0 == hash
        var subscription = subscription
        subscription.withUTF8 { mix($0) }
        mixZero()
        var topic = topic
        topic.withUTF8 { mix($0) }
        mixZero()
        payload.withUnsafeBufferPointer { mix($0) }
        return hash
    }
}

/// The on-disk framing of a record: `magic u32 | body length u32 | CRC-32 of body u32 | body`, little-endian;
/// body = `receivedAt i64 | subscription length u16 | topic length u16 | subscription | topic | payload`.
/// The CRC tells a record torn by a crash mid-write from a complete one.
enum JournalFraming {
    static let magic: UInt32 = 0x314A_4D50 // "PMJ1"
    static let headerSize = 12
    /// Larger bodies are refused: they cannot be a legitimate MQTT message for this gateway.
    static let maximumBodySize = 64 << 20

    /// Bytes `encode` writes for `record`.
    static func encodedSize(_ record: JournalRecord) -> Int {
        headerSize + 12 + min(record.subscription.utf8.count, Int(UInt16.max)) + min(record.topic.utf8.count, Int(UInt16.max))
            + record.payload.count
    }

    /// Writes the framed record at `destination`, which must have room for `encodedSize(record)` bytes.
    static func encode(_ record: JournalRecord, into destination: UnsafeMutableRawPointer) {
        var cursor = destination + headerSize
        func put<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { cursor.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            cursor += MemoryLayout<T>.size
        }
        /// The first `count` bytes of the string's UTF-8, copied in one go.
        func put(_ utf8: UnsafeBufferPointer<UInt8>, count: Int) {
            if count > 0 { cursor.copyMemory(from: utf8.baseAddress!, byteCount: count) }
            cursor += count
        }
        // Names longer than a u16 can say are cut to their first 65,535 bytes (the reader repairs a cut character).
        var subscription = record.subscription
        var topic = record.topic
        let subscriptionSize = min(subscription.utf8.count, Int(UInt16.max))
        let topicSize = min(topic.utf8.count, Int(UInt16.max))
        put(UInt64(bitPattern: record.receivedAt))
        put(UInt16(subscriptionSize))
        put(UInt16(topicSize))
        subscription.withUTF8 { put($0, count: subscriptionSize) }
        topic.withUTF8 { put($0, count: topicSize) }
        record.payload.withUnsafeBytes { payload in
            if let base = payload.baseAddress { cursor.copyMemory(from: base, byteCount: payload.count) }
        }
        let bodySize = encodedSize(record) - headerSize
        let crc = CRC32.checksum(UnsafeBufferPointer(start: (destination + headerSize).assumingMemoryBound(to: UInt8.self), count: bodySize))
        cursor = destination
        put(magic)
        put(UInt32(bodySize))
        put(crc)
    }

    enum DecodeResult {
        case record(JournalRecord, size: Int)
        /// Not enough bytes yet (or a torn tail).
        case incomplete
        case corrupt(String)
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodeResult {
        guard bytes.count >= headerSize else { return .incomplete }
        guard readUInt32(bytes, 0) == magic else { return .corrupt("bad record marker") }
        let bodySize = Int(readUInt32(bytes, 4))
        guard bodySize >= 12, bodySize <= maximumBodySize else { return .corrupt("implausible record size \(bodySize)") }
        guard bytes.count >= headerSize + bodySize else { return .incomplete }
        let body = UnsafeBufferPointer(rebasing: bytes[headerSize..<(headerSize + bodySize)])
        guard CRC32.checksum(body) == readUInt32(bytes, 8) else { return .corrupt("checksum mismatch") }
        let receivedAt = Int64(bitPattern: UInt64(readUInt32(body, 0)) | UInt64(readUInt32(body, 4)) << 32)
        let subscriptionSize = Int(body[8]) | Int(body[9]) << 8
        let topicSize = Int(body[10]) | Int(body[11]) << 8
        guard 12 + subscriptionSize + topicSize <= bodySize else { return .corrupt("inconsistent record lengths") }
        let subscription = String(decoding: UnsafeBufferPointer(rebasing: body[12..<(12 + subscriptionSize)]), as: UTF8.self)
        let topicEnd = 12 + subscriptionSize + topicSize
        let topic = String(decoding: UnsafeBufferPointer(rebasing: body[(12 + subscriptionSize)..<topicEnd]), as: UTF8.self)
        let payload = Array(UnsafeBufferPointer(rebasing: body[topicEnd...]))
        return .record(JournalRecord(receivedAt: receivedAt, subscription: subscription, topic: topic, payload: payload),
                       size: headerSize + bodySize)
    }

    private static func readUInt32(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}
