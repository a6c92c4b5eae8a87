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

    /// Sends `body` and returns the response's status code; the rest of the answer is read (at most 64 KiB) and ignored.
    func send(_ body: [UInt8], contentType: String = "application/json; charset=utf-8") throws -> Int {
        guard let host = url.host, !host.isEmpty else { throw NotificationError("POST \(url.absoluteString): no host in the URL") }
        let port = url.port ?? 80
        let socket = try BlockingSocket(host: host, port: port, timeout: timeout, describe: "POST \(url.absoluteString)")
        var target = url.path.isEmpty ? "/" : url.path
        if let query = url.query { target += "?" + query }
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let head = "POST \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: pmc-gateway\r\nContent-Type: \(contentType)\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try socket.send(Array(head.utf8) + body)
        guard let statusLine = try socket.readLine() else {
            throw NotificationError("POST \(url.absoluteString): the receiver closed the connection without answering")
        }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw NotificationError("POST \(url.absoluteString): not an HTTP answer: \(statusLine.prefix(80))")
        }
        var drained = 0
        while drained < 65_536, let chunk = try? socket.receive(), !chunk.isEmpty { drained += chunk.count }
        return status
    }
}
