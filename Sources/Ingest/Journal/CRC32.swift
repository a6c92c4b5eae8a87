/// CRC-32 (IEEE 802.3, the zlib polynomial, reflected: `0xEDB88320`), the journal's record checksum.
///
/// Slicing-by-8: eight 256-entry tables let the loop fold eight bytes per step with independent lookups
/// instead of one byte per dependent lookup. The result is the same CRC as the bytewise table algorithm (the
/// tables are derived from it), so journals written before stay readable.
enum CRC32 {
    /// `tables[k * 256 + b]`: the CRC of byte `b` followed by `k` zero bytes. Table 0 is the classic bytewise
    /// table.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            tables[index] = crc
        }
        for index in 0..<256 {
            for slice in 1..<8 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard let start = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        return tables.withUnsafeBufferPointer { tables in
            let t = tables.baseAddress!
            var crc: UInt32 = 0xFFFF_FFFF
            var cursor = UnsafeRawPointer(start)
            var remaining = bytes.count
            while remaining >= 8 {
                let low = crc ^ UInt32(littleEndian: cursor.loadUnaligned(as: UInt32.self))
                let high = UInt32(littleEndian: cursor.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                cursor += 8
                remaining -= 8
            }
            var tail = cursor.assumingMemoryBound(to: UInt8.self)
            while remaining > 0 {
                crc = t[Int((crc ^ UInt32(tail.pointee)) & 0xFF)] ^ (crc >> 8)
                tail += 1
                remaining -= 1
            }
            return crc ^ 0xFFFF_FFFF
        }
    }
}
