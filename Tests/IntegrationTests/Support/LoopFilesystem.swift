import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real ext4 file system in a small image file, mounted through a loop device: a disk that a test can fill
/// up, free again, or make refuse writes, under a running gateway.
///
/// Needs root (mount, loop devices) and e2fsprogs (`mkfs.ext4`, `chattr`). Unmounted at `unmount()` or deinit.
final class LoopFilesystem: @unchecked Sendable {
    let mountPoint: String
    let image: String
    private var mounted = false
    private var fillers: [String] = []

    /// Why this machine cannot mount a loop file system, or nil when it can (root, tools, loop devices).
    static var unavailableReason: String? {
        if geteuid() != 0 { return "mounting a loop file system needs root (euid \(geteuid()))" }
        for tool in ["/usr/bin/mount", "/usr/bin/umount", "/usr/sbin/mkfs.ext4", "/usr/bin/chattr"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (packages mount, e2fsprogs)"
        }
        if !FileManager.default.fileExists(atPath: "/dev/loop-control") { return "no /dev/loop-control (loop devices)" }
        return nil
    }

    static var isAvailable: Bool { unavailableReason == nil }

    /// Creates an image of `megabytes`, formats it ext4 without reserved blocks, and mounts it at `mountPoint`.
    init(mountPoint: String, megabytes: Int) throws {
        self.mountPoint = mountPoint
        image = mountPoint + ".ext4"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let fd = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0, ftruncate(fd, off_t(megabytes) << 20) == 0 else {
            if fd >= 0 { close(fd) }
            throw TestFailure("cannot create \(image): \(String(cString: strerror(errno)))")
        }
        close(fd)
        try runCommand("/usr/sbin/mkfs.ext4", ["-q", "-F", "-m", "0", image])
        // errors=continue: an I/O error reported to the gateway must not turn the whole disk read-only.
        try runCommand("/usr/bin/mount", ["-o", "loop,errors=continue", image, mountPoint])
        mounted = true
    }

    deinit {
        unmount()
        unlink(image)
    }

    /// Free bytes, as `df` reports them.
    var availableBytes: Int64 {
        var info = statvfs()
        guard statvfs(mountPoint, &info) == 0 else { return -1 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Fills the file system but for about `bytes` (a reserve file is written first and deleted after).
    @discardableResult
    func fill(leaving bytes: Int) throws -> Int64 {
        let reserve = mountPoint + "/reserve"
        let fd = open(reserve, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TestFailure("cannot create \(reserve): \(String(cString: strerror(errno)))") }
        let buffer = [UInt8](repeating: 0x5A, count: bytes)
        let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress, bytes) }
        fsync(fd)
        close(fd)
        guard written == bytes else { throw TestFailure("cannot write the \(bytes)-byte reserve file") }
        let filled = try fill()
        unlink(reserve)
        sync()
        return filled
    }

    /// Fills the file system with a filler file until a write fails with ENOSPC; returns the bytes written.
    @discardableResult
    func fill() throws -> Int64 {
        let path = mountPoint + "/filler-\(fillers.count)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TestFailure("cannot create \(path): \(String(cString: strerror(errno)))") }
        fillers.append(path)
        defer { close(fd) }
        var written: Int64 = 0
        // Big chunks first, then small ones so that not even a block is left; fsync makes the allocation real
        // (ext4 allocates delayed), then a last round of small writes takes what the flush gave back.
        for chunk in [1 << 20, 4096, 1024, 4096] {
            let buffer = [UInt8](repeating: 0x5A, count: chunk)
            let deadline = Date(timeIntervalSinceNow: 60)
            while Date() < deadline {
                let result = buffer.withUnsafeBytes { write(fd, $0.baseAddress, chunk) }
                if result > 0 { written += Int64(result); continue }
                let code = errno
                guard result < 0, code == ENOSPC else {
                    throw TestFailure("writing \(path) failed with \(String(cString: strerror(code))) instead of ENOSPC")
                }
                break
            }
            fsync(fd)
        }
        return written
    }

    /// Deletes the filler files: the space comes back.
    func freeSpace() {
        for path in fillers { unlink(path) }
        fillers.removeAll()
        sync()
    }

    /// Sets or clears the immutable attribute (`chattr +i`): the kernel then refuses every write to the file,
    /// root's too and through descriptors opened before, with EPERM.
    func setImmutable(_ paths: [String], _ immutable: Bool) throws {
        let existing = paths.filter { FileManager.default.fileExists(atPath: $0) }
        guard !existing.isEmpty else { return }
        try runCommand("/usr/bin/chattr", [immutable ? "+i" : "-i"] + existing)
    }

    /// Unmounts (lazily if a process still holds a file open); the loop device is released with it.
    func unmount() {
        guard mounted else { return }
        for path in fillers { unlink(path) }
        // An immutable file left by a failed test cannot be deleted with the fixture's folder: clear the flag.
        _ = try? runCommand("/usr/bin/chattr", ["-R", "-i", mountPoint], timeout: 20)
        if (try? runCommand("/usr/bin/umount", [mountPoint], timeout: 30)) == nil {
            _ = try? runCommand("/usr/bin/umount", ["-l", mountPoint], timeout: 30)
        }
        mounted = false
    }
}
