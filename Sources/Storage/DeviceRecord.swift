/// What the ingest path needs to know about a device, cached in memory by `ReadingWriter`.
public struct DeviceRecord: Sendable, Equatable {
    public let id: Int64
    public let key: String
    /// `nil` for a device the inventory does not declare (pending).
    public let profile: String?
    public let assetID: String?

    public var isPending: Bool { profile == nil }
}

/// A journal position: segment number and byte offset just after the last applied record.
public struct JournalPosition: Sendable, Equatable, Comparable {
    public var segment: Int64
    public var offset: Int64

    public init(segment: Int64, offset: Int64) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (lhs: JournalPosition, rhs: JournalPosition) -> Bool {
        (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
    }
}
