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

    /// A 64-bit hash of subscription, topic and payload: recognises an MQTT redelivery. Each part is read 8 bytes
    /// at a time (little-endian words), then a last word with its 0–7 remaining bytes and its length (mod 256) in
    /// the top byte; each word is mixed with a multiply and a shift, both bijections, so two parts of equal length
    /// that differ always hash differently up to the end of that part. A byte-at-a-time hash (FNV-1a) cost 7 % of
    /// the MQTT thread on 1 KB payloads. Never stored: recomputed from the journal at start.
    public var contentHash: UInt64 {
        var hash: UInt64 = 0x243F_6A88_85A3_08D3
        func mix(_ bytes: UnsafeRawBufferPointer) {
            var h = hash
            var offset = 0
            while offset + 8 <= bytes.count {
                h = (h ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))) &* 0x9E37_79B9_7F4A_7C15
                h ^= h >> 29
                offset += 8
            }
            var tail = UInt64(bytes.count & 0xFF) << 56
            var shift: UInt64 = 0
            while offset < bytes.count {
                tail |= UInt64(bytes[offset]) << shift
                shift += 8
                offset += 1
            }
            h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
            hash = h ^ (h >> 29)
        }
        var subscription = subscription
        subscription.withUTF8 { mix(UnsafeRawBufferPointer($0)) }
        var topic = topic
        topic.withUTF8 { mix(UnsafeRawBufferPointer($0)) }
        payload.withUnsafeBytes { mix($0) }
        return hash ^ (hash >> 32)
    }
}

/// The on-disk framing of a record: `magic u32 | body length u32 | check u32 | body`, little-endian;
/// body = `receivedAt i64 | subscription length u16 | topic length u16 | subscription | topic | payload`.
/// The check tells a record torn by a crash mid-write from a complete one. Version 2 ("PMJ2", written): 32 bits of
/// the record's content hash, which the receiver computes anyway to recognise redeliveries, mixed with the receive
/// time (`frameCheck`): one hash per message on the MQTT thread instead of a hash and a CRC-32 (the CRC was 2 % of
/// the process). Version 1 ("PMJ1", still read): the CRC-32 of the body.
enum JournalFraming {
    static let magic: UInt32 = 0x324A_4D50 // "PMJ2"
    static let magicVersion1: UInt32 = 0x314A_4D50 // "PMJ1"
    static let headerSize = 12
    /// Larger bodies are refused: they cannot be a legitimate MQTT message for this gateway.
    static let maximumBodySize = 64 << 20

    /// Bytes `encode` writes for `record`.
    static func encodedSize(_ record: JournalRecord) -> Int {
        headerSize + 12 + min(record.subscription.utf8.count, Int(UInt16.max)) + min(record.topic.utf8.count, Int(UInt16.max))
            + record.payload.count
    }

    /// The check of a version 2 frame.
    static func frameCheck(contentHash: UInt64, receivedAt: Int64) -> UInt32 {
        var mixed = (contentHash ^ UInt64(bitPattern: receivedAt)) &* 0x9E37_79B9_7F4A_7C15
        mixed ^= mixed >> 32
        return UInt32(truncatingIfNeeded: mixed)
    }

    /// Writes the framed record at `destination`, which must have room for `encodedSize(record)` bytes.
    /// - Parameter contentHash: `record.contentHash` when the caller has it already.
    static func encode(_ record: JournalRecord, contentHash: UInt64? = nil, into destination: UnsafeMutableRawPointer) {
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
        // The check covers what is stored: names cut to 65,535 bytes hash differently from the whole ones.
        let cut = subscriptionSize < subscription.utf8.count || topicSize < topic.utf8.count
        let hash = cut || contentHash == nil
            ? JournalRecord(receivedAt: record.receivedAt, subscription: String(decoding: subscription.utf8.prefix(subscriptionSize), as: UTF8.self),
                            topic: String(decoding: topic.utf8.prefix(topicSize), as: UTF8.self), payload: record.payload).contentHash
            : contentHash!
        cursor = destination
        put(magic)
        put(UInt32(bodySize))
        put(frameCheck(contentHash: hash, receivedAt: record.receivedAt))
    }

    enum DecodeResult {
        case record(JournalRecord, size: Int)
        /// Not enough bytes yet (or a torn tail).
        case incomplete
        case corrupt(String)
    }

    /// - Parameter verifyChecksum: false for records this process wrote itself (see `Journal.firstSegmentOfThisRun`).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, verifyChecksum: Bool = true) -> DecodeResult {
        guard bytes.count >= headerSize else { return .incomplete }
        let version = readUInt32(bytes, 0)
        guard version == magic || version == magicVersion1 else { return .corrupt("bad record marker") }
        let bodySize = Int(readUInt32(bytes, 4))
        guard bodySize >= 12, bodySize <= maximumBodySize else { return .corrupt("implausible record size \(bodySize)") }
        guard bytes.count >= headerSize + bodySize else { return .incomplete }
        let body = UnsafeBufferPointer(rebasing: bytes[headerSize..<(headerSize + bodySize)])
        if verifyChecksum, version == magicVersion1, CRC32.checksum(body) != readUInt32(bytes, 8) { return .corrupt("checksum mismatch") }
        let receivedAt = Int64(bitPattern: UInt64(readUInt32(body, 0)) | UInt64(readUInt32(body, 4)) << 32)
        let subscriptionSize = Int(body[8]) | Int(body[9]) << 8
        let topicSize = Int(body[10]) | Int(body[11]) << 8
        guard 12 + subscriptionSize + topicSize <= bodySize else { return .corrupt("inconsistent record lengths") }
        let subscription = String(decoding: UnsafeBufferPointer(rebasing: body[12..<(12 + subscriptionSize)]), as: UTF8.self)
        let topicEnd = 12 + subscriptionSize + topicSize
        let topic = String(decoding: UnsafeBufferPointer(rebasing: body[(12 + subscriptionSize)..<topicEnd]), as: UTF8.self)
        let payload = Array(UnsafeBufferPointer(rebasing: body[topicEnd...]))
        let record = JournalRecord(receivedAt: receivedAt, subscription: subscription, topic: topic, payload: payload)
        if verifyChecksum, version == magic, frameCheck(contentHash: record.contentHash, receivedAt: receivedAt) != readUInt32(bytes, 8) {
            return .corrupt("checksum mismatch")
        }
        return .record(record, size: headerSize + bodySize)
    }

    private static func readUInt32(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}
