import Foundation

/// A TCP connection on a blocking socket with send and receive timeouts (on Linux the send timeout also bounds
/// `connect`): what `HTTPPost` and `SMTPClient` talk through. Errors name the peer and say what failed.
final class BlockingSocket {
    let descriptor: Int32
    let peer: String
    let timeout: TimeInterval
    private var buffered: [UInt8] = []

    init(host: String, port: Int, timeout: TimeInterval, describe: String) throws {
        self.peer = describe
        self.timeout = timeout
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let list else {
            throw NotificationError("\(describe): cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = ECONNREFUSED
        var candidate: UnsafeMutablePointer<addrinfo>? = list
        while let address = candidate {
            candidate = address.pointee.ai_next
            let socket = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard socket >= 0 else { lastError = errno; continue }
            var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
            setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 {
                descriptor = socket
                return
            }
            lastError = errno
            close(socket)
        }
        throw NotificationError("\(describe): cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    deinit { close(descriptor) }

    func fail(_ what: String, _ code: Int32 = errno) -> NotificationError {
        NotificationError("\(peer): \(what): \(String(cString: strerror(code)))")
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            // MSG_NOSIGNAL: a peer that closed early is an error here, not a SIGPIPE for the gateway.
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw fail(errno == EAGAIN ? "no progress sending within \(timeout) s" : "send failed") }
            sent += written
        }
    }

    /// Up to 4 KiB more; empty at the end of the stream. Throws on a timeout.
    func receive() throws -> [UInt8] {
        if !buffered.isEmpty {
            defer { buffered.removeAll() }
            return buffered
        }
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw fail(errno == EAGAIN ? "no answer within \(timeout) s" : "receive failed") }
            return Array(buffer[0..<count])
        }
    }

    /// One line, without its CR LF; nil at the end of the stream.
    func readLine() throws -> String? {
        var line: [UInt8] = []
        while true {
            let chunk = try receive()
            if chunk.isEmpty { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if let end = chunk.firstIndex(of: UInt8(ascii: "\n")) {
                line += chunk[..<end]
                buffered = Array(chunk[(end + 1)...])
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            line += chunk
            if line.count > 65_536 { throw NotificationError("\(peer): a line longer than 64 KiB") }
        }
    }
}
