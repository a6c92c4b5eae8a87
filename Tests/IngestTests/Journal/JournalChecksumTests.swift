import Foundation
import Testing
@testable import Ingest

/// The journal's CRC-32 and content hash against bytewise reference implementations: both are on-disk or
/// cross-restart formats, so the fast implementations must give exactly the values the simple ones give.
struct JournalChecksumTests {
    /// A reproducible generator (SplitMix64), so that a failure names inputs that can be regenerated.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// CRC-32 bit by bit, straight from the definition (reflected polynomial 0xEDB88320).
    static func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// FNV-1a 64 over the subscription's UTF-8, a zero byte, the topic's UTF-8, a zero byte, the payload.
    /// The content hash written plainly: 8-byte little-endian words, then the tail with the part's length.
    static func referenceHash(_ record: JournalRecord) -> UInt64 {
        var hash: UInt64 = 0x243F_6A88_85A3_08D3
        func mix(_ word: UInt64) {
            hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
        }
        for part in [Array(record.subscription.utf8), Array(record.topic.utf8), record.payload] {
            var index = 0
            while index + 8 <= part.count {
                mix((0..<8).reduce(UInt64(0)) { $0 | UInt64(part[index + $1]) << (8 * UInt64($1)) })
                index += 8
            }
            mix((0..<(part.count - index)).reduce(UInt64(part.count & 0xFF) << 56) { $0 | UInt64(part[index + $1]) << (8 * UInt64($1)) })
        }
        return hash ^ (hash >> 32)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { CRC32.checksum($0) }
    }

    @Test("CRC-32 of the standard check values")
    func crcKnownVectors() {
        #expect(Self.crc32([]) == 0)
        #expect(Self.crc32(Array("a".utf8)) == 0xE8B7_BE43)
        #expect(Self.crc32(Array("abc".utf8)) == 0x3524_41C2)
        #expect(Self.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Self.crc32(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        #expect(Self.crc32([UInt8](repeating: 0, count: 32)) == 0x190A_55AD)
        #expect(Self.crc32([UInt8](repeating: 0xFF, count: 32)) == 0xFF6C_AB0B)
    }

    @Test("CRC-32 of random buffers of 0 to 1,000 bytes, at every alignment, equals the bitwise reference")
    func crcRandomBuffers() {
        var generator = SplitMix64(state: 0x5EED)
        let pool = (0..<1_016).map { _ in UInt8.random(in: 0...255, using: &generator) }
        pool.withUnsafeBufferPointer { pool in
            for length in 0...1_000 {
                let offset = length % 8
                let slice = UnsafeBufferPointer(rebasing: pool[offset..<(offset + length)])
                let expected = Self.referenceCRC32(Array(slice))
                #expect(CRC32.checksum(slice) == expected, "length \(length) at offset \(offset)")
            }
        }
    }

    @Test("content hash of records with random names and payloads equals the plainly written reference")
    func contentHashRandomRecords() {
        var generator = SplitMix64(state: 0xFA57)
        let alphabet = Array("az09/+#-_ .éü日😀\u{0}".unicodeScalars)
        func name(_ length: Int) -> String {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<length { scalars.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]) }
            return String(scalars)
        }
        for length in 0...1_000 {
            let record = JournalRecord(receivedAt: Int64(length), subscription: name(length % 17), topic: name(length % 61),
                                       payload: (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            #expect(record.contentHash == Self.referenceHash(record), "length \(length)")
        }
    }

    @Test("the hash tells apart what a redelivery check must: one changed byte, a byte moved between parts")
    func contentHashSeparates() {
        var generator = SplitMix64(state: 0x5EED)
        for length in [1, 7, 8, 9, 64, 1_151] {
            let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let record = JournalRecord(receivedAt: 0, subscription: "s", topic: "t/1", payload: payload)
            for position in [0, length / 2, length - 1] {
                var changed = payload
                changed[position] ^= 0x01
                #expect(JournalRecord(receivedAt: 0, subscription: "s", topic: "t/1", payload: changed).contentHash != record.contentHash)
            }
        }
        #expect(JournalRecord(receivedAt: 0, subscription: "ab", topic: "c", payload: []).contentHash
                != JournalRecord(receivedAt: 0, subscription: "a", topic: "bc", payload: []).contentHash)
        #expect(JournalRecord(receivedAt: 0, subscription: "s", topic: "t", payload: [0]).contentHash
                != JournalRecord(receivedAt: 0, subscription: "s", topic: "t", payload: []).contentHash)
    }

    @Test("hashes of fixed records are pinned; version 1 frames (CRC-32) stay readable; version 2 frames are pinned")
    func pinnedValues() throws {
        let record = JournalRecord(receivedAt: 1_732_780_000_123, subscription: "chirpstack-v4",
                                   topic: "application/7/device/a84041000181c0b2/event/up",
                                   payload: Array(#"{"object":{"temperature":21.5,"humidité":"ok"}}"#.utf8))
        #expect(record.contentHash == 0xDC92_2ED2_F303_E458)
        #expect(JournalRecord(receivedAt: -5, subscription: "", topic: "z2m/salle des fêtes/😀", payload: []).contentHash
                == 0x8DF4_1B0C_8F8B_5B8E)

        // Written by the bytewise encoder and CRC before they were sped up.
        let hex = "504d4a317700000053a7175f7b83bc71930100000d002e006368697270737461636b2d76346170706c69636174696f6e2f372f"
            + "6465766963652f613834303431303030313831633062322f6576656e742f75707b226f626a656374223a7b2274656d706572"
            + "6174757265223a32312e352c2268756d69646974c3a9223a226f6b227d7d"
        var earlier: [UInt8] = []
        var digits = hex.utf8.makeIterator()
        while let high = digits.next(), let low = digits.next() {
            earlier.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)!)
        }

        // Version 2: the same body; "PMJ2" and the check from the content hash in place of "PMJ1" and the CRC.
        let size = JournalFraming.encodedSize(record)
        #expect(size == earlier.count)
        let written = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { written.deallocate() }
        JournalFraming.encode(record, into: written)
        let frame = Array(UnsafeRawBufferPointer(start: written, count: size))
        #expect(frame[0..<4] == [0x50, 0x4D, 0x4A, 0x32])
        #expect(frame[4..<8] == earlier[4..<8])
        #expect(frame[8..<12] == [0xA2, 0x07, 0x82, 0x5A])   // frameCheck(0xDC92_2ED2_F303_E458, 1_732_780_000_123)
        #expect(frame[12...] == earlier[12...])
        JournalFraming.encode(record, contentHash: record.contentHash, into: written)
        #expect(Array(UnsafeRawBufferPointer(start: written, count: size)) == frame)
        guard case .record(let fromVersion2, _) = frame.withUnsafeBufferPointer({ JournalFraming.decode($0) }) else {
            Issue.record("the version 2 frame does not decode")
            return
        }
        #expect(fromVersion2 == record)

        let decoded = earlier.withUnsafeBufferPointer { JournalFraming.decode($0) }
        guard case .record(let back, let consumed) = decoded else {
            Issue.record("the earlier frame does not decode: \(decoded)")
            return
        }
        #expect(back == record)
        #expect(consumed == earlier.count)
    }

    @Test("one flipped byte anywhere in the body of a frame, version 1 or 2, is reported as a checksum mismatch")
    func flippedBytesAreCaught() {
        let record = JournalRecord(receivedAt: 1_732_780_000_123, subscription: "tasmota", topic: "tele/linky/SENSOR",
                                   payload: Array(#"{"ENERGY":{"Total":1234.5}}"#.utf8))
        let size = JournalFraming.encodedSize(record)
        var frame = [UInt8](repeating: 0, count: size)
        frame.withUnsafeMutableBytes { JournalFraming.encode(record, into: $0.baseAddress!) }
        var version1 = frame
        version1[3] = 0x31
        let crc = version1.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[12...])) }
        withUnsafeBytes(of: crc.littleEndian) { version1.replaceSubrange(8..<12, with: $0) }
        for original in [frame, version1] {
            guard case .record = original.withUnsafeBufferPointer({ JournalFraming.decode($0) }) else {
                Issue.record("the intact frame does not decode")
                continue
            }
            for index in 12..<size {
                var damaged = original
                damaged[index] ^= 0x10
                let result = damaged.withUnsafeBufferPointer { JournalFraming.decode($0) }
                guard case .corrupt = result else {
                    Issue.record("byte \(index) flipped in a version \(original[3] - 0x30) frame was not caught: \(result)")
                    continue
                }
            }
        }
    }

    @Test("names longer than 65,535 bytes are cut in the frame as before; the hash covers them whole")
    func longNames() {
        let record = JournalRecord(receivedAt: 1, subscription: String(repeating: "s", count: 70_000),
                                   topic: String(repeating: "é", count: 40_000), payload: [1, 2, 3])
        let size = JournalFraming.encodedSize(record)
        #expect(size == 12 + 12 + 65_535 + 65_535 + 3)
        let written = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { written.deallocate() }
        JournalFraming.encode(record, into: written)
        let bytes = UnsafeBufferPointer(start: written.assumingMemoryBound(to: UInt8.self), count: size)
        #expect(Array(bytes[24..<(24 + 65_535)]) == Array(record.subscription.utf8.prefix(65_535)))
        #expect(Array(bytes[(24 + 65_535)..<(24 + 2 * 65_535)]) == Array(record.topic.utf8.prefix(65_535)))
        guard case .record(let back, _) = JournalFraming.decode(bytes) else {
            Issue.record("the frame does not decode")
            return
        }
        #expect(back.subscription == String(repeating: "s", count: 65_535))
        #expect(back.payload == [1, 2, 3])
        #expect(record.contentHash == Self.referenceHash(record))
    }
}
