import Foundation

/// A JSON `POST` over plain HTTP/1.1 on a blocking socket, for `http://` webhooks (a supervisor or Node-RED on the
/// commune's network): one connection per request (`Connection: close`), the status line read, the rest drained.
///
/// Why not URLSession here: on Linux it costs 1.5 ms of CPU per request and wakes several dispatch threads; at 10
/// notifications a second on a 2-core box that was enough to push the publish→notified p99 to 91–202 ms and the
/// publish→stored p99 to 28–42 ms, against 27–28 ms and 23–24 ms with this (`scripts/bench --latency-only`, runs
/// alternated). `https://` webhooks still go through URLSession (TLS).
struct HTTPPost {
    let url: URL
    let timeout: TimeInterval

    /// Sends `body` and returns the response's status code.
    func send(_ body: [UInt8], contentType: String = "application/json; charset=utf-8") throws -> Int {
        guard let host = url.host, !host.isEmpty else { throw NotificationError("POST \(url.absoluteString): no host in the URL") }
        let port = url.port ?? 80
        let socket = try connect(host: host, port: port)
        defer { close(socket) }
        var target = url.path.isEmpty ? "/" : url.path
        if let query = url.query { target += "?" + query }
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let head = "POST \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: pmc-gateway\r\nContent-Type: \(contentType)\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try write(Array(head.utf8) + body, to: socket)
        return try readStatus(from: socket)
    }

    private func fail(_ what: String, _ code: Int32 = errno) -> NotificationError {
        NotificationError("POST \(url.absoluteString): \(what): \(String(cString: strerror(code)))")
    }

    /// A connected socket to the first address of `host` that answers, with send and receive timeouts set (on
    /// Linux the send timeout also bounds `connect`).
    private func connect(host: String, port: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let list else {
            throw NotificationError("POST \(url.absoluteString): cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
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
            if Glibc.connect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return socket }
            lastError = errno
            close(socket)
        }
        throw fail("cannot connect to \(host):\(port)", lastError)
    }

    private func write(_ bytes: [UInt8], to socket: Int32) throws {
        var sent = 0
        while sent < bytes.count {
            // MSG_NOSIGNAL: a receiver that closed early is an error here, not a SIGPIPE for the gateway.
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw fail(errno == EAGAIN ? "no progress sending within \(timeout) s" : "send failed") }
            sent += written
        }
    }

    /// The status code of `HTTP/1.1 200 OK`; the rest of the answer is read (at most 64 KiB) and ignored.
    private func readStatus(from socket: Int32) throws -> Int {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        var status: Int?
        while received.count < 65_536 {
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            if count < 0 {
                if status != nil { break }   // answered; the rest does not matter
                throw fail(errno == EAGAIN ? "no answer within \(timeout) s" : "receive failed")
            }
            if count == 0 { break }
            received += buffer[0..<count]
            if status == nil, let end = received.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: received[..<end], as: UTF8.self).split(separator: " ")
                guard line.count >= 2, line[0].hasPrefix("HTTP/"), let code = Int(line[1]) else {
                    throw NotificationError("POST \(url.absoluteString): not an HTTP answer: \(String(decoding: received[..<end], as: UTF8.self).prefix(80))")
                }
                status = code
            }
        }
        guard let status else { throw NotificationError("POST \(url.absoluteString): the receiver closed the connection without answering") }
        return status
    }
}
