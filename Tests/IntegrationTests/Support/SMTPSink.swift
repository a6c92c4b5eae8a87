import Foundation

/// A real SMTP server on loopback (Python's aiosmtpd, Debian's `python3-aiosmtpd`) that records every message it
/// accepts: envelope sender, recipients, and the message parsed by Python's `email` package.
final class SMTPSink {
    let directory: String
    let port: Int
    private let process: ChildProcess

    static let script = #"""
        import asyncio, email, email.policy, json, sys, time
        from aiosmtpd.controller import Controller
        directory, port = sys.argv[1], int(sys.argv[2])
        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
                record = {"from": envelope.mail_from, "to": envelope.rcpt_tos, "subject": str(message["subject"]),
                          "header_from": str(message["from"]), "type": message.get_content_type(),
                          "body": message.get_content()}
                with open(directory + "/received.jsonl", "a") as out:
                    out.write(json.dumps(record) + "\n")
                return "250 Message accepted for delivery"
        controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        controller.start()
        with open(directory + "/ready", "w") as f:
            f.write("ready")
        while True:
            time.sleep(3600)
        """#

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.script.write(toFile: directory + "/sink.py", atomically: true, encoding: .utf8)
        // aiosmtpd checks that it listens by connecting to its port: it needs a real one, not 0.
        port = try freePort()
        process = try ChildProcess(executable: "/usr/bin/python3", arguments: [directory + "/sink.py", directory, String(port)],
                                   logPath: directory + "/sink.log")
        try eventually(timeout: 15, "the SMTP sink listening") { FileManager.default.fileExists(atPath: directory + "/ready") }
    }

    deinit { process.kill(signal: SIGTERM) }

    /// The messages accepted so far, in order.
    var received: [[String: Any]] {
        let text = (try? String(contentsOfFile: directory + "/received.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }
}
