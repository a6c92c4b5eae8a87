import Foundation

/// Hands one message to an SMTP relay (RFC 5321): EHLO, MAIL FROM, RCPT TO, DATA, QUIT — without authentication or
/// TLS, for a relay on the box or the commune's network (Postfix, msmtp, the town hall's mail server).
struct SMTPClient {
    let host: String
    let port: Int
    let timeout: TimeInterval
    /// The name given in EHLO.
    let clientName: String

    func send(from sender: String, to recipients: [String], message: [UInt8]) throws {
        let socket = try BlockingSocket(host: host, port: port, timeout: timeout, describe: "SMTP \(host):\(port)")
        try expect(socket, [220], after: "connecting")
        try command(socket, "EHLO \(clientName)", [250])
        try command(socket, "MAIL FROM:<\(sender)>", [250])
        for recipient in recipients { try command(socket, "RCPT TO:<\(recipient)>", [250, 251]) }
        try command(socket, "DATA", [354])
        try socket.send(Self.dotStuffed(message) + Array("\r\n.\r\n".utf8))
        try expect(socket, [250], after: "the message")
        _ = try? command(socket, "QUIT", [221])
    }

    private func command(_ socket: BlockingSocket, _ line: String, _ accepted: [Int]) throws {
        try socket.send(Array((line + "\r\n").utf8))
        try expect(socket, accepted, after: line.split(separator: ":").first.map(String.init) ?? line)
    }

    /// Reads a reply (`250-…` lines then `250 …`) and checks its code.
    private func expect(_ socket: BlockingSocket, _ accepted: [Int], after what: String) throws {
        var lines: [String] = []
        while true {
            guard let line = try socket.readLine() else { throw NotificationError("SMTP \(host):\(port) closed the connection after \(what)") }
            lines.append(line)
            if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] != "-" { break }
        }
        let last = lines.last ?? ""
        guard let code = Int(last.prefix(3)), accepted.contains(code) else {
            throw NotificationError("SMTP \(host):\(port) refused \(what): \(last.prefix(200))")
        }
    }

    /// CR LF line ends, and a dot doubled at the start of a line (RFC 5321 §4.5.2).
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        let text = String(decoding: message, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        return Array(text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n").utf8)
    }
}
