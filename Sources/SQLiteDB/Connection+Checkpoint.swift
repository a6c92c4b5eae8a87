import CSQLite

extension Connection {
    /// How a WAL checkpoint treats readers and the writer (`sqlite3_wal_checkpoint_v2`).
    public enum CheckpointMode: Sendable {
        /// Copies what it can without waiting for anyone: never blocks the writer.
        case passive
        /// Waits for the writer and readers, copies everything, then truncates the WAL file to zero bytes.
        case truncate

        var rawValue: Int32 {
            switch self {
            case .passive: SQLITE_CHECKPOINT_PASSIVE
            case .truncate: SQLITE_CHECKPOINT_TRUNCATE
            }
        }
    }

    /// Copies the write-ahead log into the database file. Returns the frames in the log and how many of them
    /// are now in the database (equal: the next write transaction starts the log over).
    @discardableResult
    public func checkpoint(_ mode: CheckpointMode) throws(SQLiteError) -> (logFrames: Int, checkpointedFrames: Int) {
        var log: Int32 = 0
        var checkpointed: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, mode.rawValue, &log, &checkpointed)
        // SQLITE_BUSY only says that part of the log could not be copied yet (a reader or the writer was there).
        guard rc == SQLITE_OK || rc == SQLITE_BUSY else { throw error(code: rc, statement: "checkpoint") }
        return (Int(log), Int(checkpointed))
    }
}
