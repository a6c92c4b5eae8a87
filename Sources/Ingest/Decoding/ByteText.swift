import Foundation

/// Byte-level versions of the `String` operations the decoders run on every message, with results identical
/// to the `Character`-level (`split`) and Unicode-scalar-level (`trimmingCharacters`) originals they replace.
///
/// `split(separator: "/")` compares grapheme clusters: a `/` byte is not a separator when a combining mark
/// follows it (`"/\u{301}"` is one `Character`) or a prepended concatenation mark precedes it. An ASCII byte
/// next to it rules both out, so a separator byte with ASCII bytes (or the string's ends) on both sides is a
/// separator; when one has a non-ASCII neighbour the original `Character`-level code decides.
enum ByteText {
    /// `text.split(separator: separator, omittingEmptySubsequences: false)`, empty components included.
    static func components(_ text: String, separator: UInt8) -> [Substring] {
        let fast: [Substring]? = text.utf8.withContiguousStorageIfAvailable { bytes in
            var ranges: [Substring] = []
            var start = 0
            let count = bytes.count
            var index = 0
            while index < count {
                if bytes[index] == separator {
                    guard isBoundary(bytes, index) else { return nil }
                    ranges.append(slice(text, start, index))
                    start = index + 1
                }
                index += 1
            }
            ranges.append(slice(text, start, count))
            return ranges
        } ?? nil
        return fast ?? text.split(separator: Character(Unicode.Scalar(separator)), omittingEmptySubsequences: false)
    }

    /// `text.split(separator: separator, omittingEmptySubsequences: false).last` (never `nil`): the text after
    /// the last separator.
    static func lastComponent(_ text: String, separator: UInt8) -> Substring {
        let fast: Substring?? = text.utf8.withContiguousStorageIfAvailable { bytes -> Substring? in
            var index = bytes.count - 1
            while index >= 0 {
                if bytes[index] == separator {
                    guard isBoundary(bytes, index) else { return nil }
                    return slice(text, index + 1, bytes.count)
                }
                index -= 1
            }
            return Substring(text)
        }
        if let fast = fast ?? nil { return fast }
        return text.split(separator: Character(Unicode.Scalar(separator)), omittingEmptySubsequences: false).last ?? Substring(text)
    }

    /// `text.split(separator: separator, maxSplits: 1).first ?? Substring(text)` (empty components omitted):
    /// the text before the first separator that has something before it.
    static func firstNonEmptyComponent(_ text: String, separator: UInt8) -> Substring {
        let fast: Substring?? = text.utf8.withContiguousStorageIfAvailable { bytes -> Substring? in
            var index = 0
            // Leading separators are skipped (empty subsequences are omitted).
            while index < bytes.count, bytes[index] == separator {
                guard isBoundary(bytes, index) else { return nil }
                index += 1
            }
            let start = index
            while index < bytes.count {
                if bytes[index] == separator {
                    guard isBoundary(bytes, index) else { return nil }
                    break
                }
                index += 1
            }
            return slice(text, start, index)
        }
        if let fast = fast ?? nil {
            // An all-separator (or empty) text gives no component at all: `first` is nil.
            return fast.isEmpty ? Substring(text) : fast
        }
        return text.split(separator: Character(Unicode.Scalar(separator)), maxSplits: 1).first ?? Substring(text)
    }

    /// `text.split(separator: separator).last` (empty components omitted): the last non-empty component, or
    /// `nil` when there is none.
    static func lastNonEmptyComponent(_ text: String, separator: UInt8) -> Substring? {
        let fast: Substring??? = text.utf8.withContiguousStorageIfAvailable { bytes -> Substring?? in
            var end = bytes.count
            while end > 0, bytes[end - 1] == separator {
                guard isBoundary(bytes, end - 1) else { return .none }
                end -= 1
            }
            if end == 0 { return .some(nil) }
            var start = end
            while start > 0, bytes[start - 1] != separator { start -= 1 }
            if start > 0, !isBoundary(bytes, start - 1) { return .none }
            return .some(slice(text, start, end))
        }
        if let fast = fast ?? nil { return fast }
        return text.split(separator: Character(Unicode.Scalar(separator))).last
    }

    /// `text.trimmingCharacters(in: .whitespaces)`: only U+0020 and U+0009 are whitespace among ASCII
    /// characters; a non-ASCII character at either end after the ASCII whitespace is left to Foundation.
    static func trimmingWhitespaces(_ text: String) -> Substring {
        trimming(text, newlines: false) ?? Substring(text.trimmingCharacters(in: .whitespaces))
    }

    /// `text.trimmingCharacters(in: .whitespacesAndNewlines)`: U+0009…U+000D and U+0020 among ASCII characters.
    static func trimmingWhitespacesAndNewlines(_ text: String) -> Substring {
        trimming(text, newlines: true) ?? Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The text without ASCII whitespace (and newlines) at its ends, or `nil` when a non-ASCII character is
    /// then at an end: Foundation knows which of those are whitespace.
    private static func trimming(_ text: String, newlines: Bool) -> Substring? {
        @inline(__always) func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || (newlines && byte >= 0x0A && byte <= 0x0D)
        }
        let fast: Substring?? = text.utf8.withContiguousStorageIfAvailable { bytes -> Substring? in
            var start = 0
            var end = bytes.count
            while start < end, isSpace(bytes[start]) { start += 1 }
            if start < end, bytes[start] >= 0x80 { return nil }
            while end > start, isSpace(bytes[end - 1]) { end -= 1 }
            if end > start, bytes[end - 1] >= 0x80 { return nil }
            return start == 0 && end == bytes.count ? Substring(text) : slice(text, start, end)
        }
        return fast ?? nil
    }

    /// Whether the separator byte at `index` is a `Character` of its own: both neighbours ASCII (or absent).
    @inline(__always)
    private static func isBoundary(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> Bool {
        (index == 0 || bytes[index - 1] < 0x80) && (index + 1 == bytes.count || bytes[index + 1] < 0x80)
    }

    /// The text between two UTF-8 offsets that lie on scalar boundaries (next to an ASCII byte or an end).
    @inline(__always)
    private static func slice(_ text: String, _ start: Int, _ end: Int) -> Substring {
        let utf8 = text.utf8
        let from = utf8.index(utf8.startIndex, offsetBy: start)
        let to = utf8.index(from, offsetBy: end - start)
        return text[from..<to]
    }
}
