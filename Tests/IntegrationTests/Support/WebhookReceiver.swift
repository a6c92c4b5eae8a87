import Foundation

/// A real HTTP server on loopback that records the JSON `POST`s it receives (Python's `http.server`), answering
/// HTTP 500 to the first `failures` of them, to see the gateway retry.
final class WebhookReceiver {
    let directory: String
    let port: Int
    private let process: ChildProcess
    var url: String { "http://127.0.0.1:\(port)/alertes" }
    private var bodiesPath: String { directory + "/received.jsonl" }

    static let script = #"""
        import http.server, json, sys
        directory, failures = sys.argv[1], int(sys.argv[2])
        seen = 0
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                global seen
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen += 1
                with open(directory + "/attempts.log", "a") as log:
                    log.write("%d %s\n" % (seen, self.path))
                if seen <= failures:
                    self.send_response(500); self.end_headers(); return
                with open(directory + "/received.jsonl", "a") as out:
                    out.write(json.dumps({"path": self.path, "type": self.headers.get("Content-Type"), "body": json.loads(body)}) + "\n")
                self.send_response(204); self.end_headers()
            def log_message(self, *args): pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        with open(directory + "/port", "w") as f:
            f.write(str(server.server_address[1]))
        server.serve_forever()
        """#

    init(directory: String, failFirst failures: Int = 0) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.script.write(toFile: directory + "/receiver.py", atomically: true, encoding: .utf8)
        process = try ChildProcess(executable: "/usr/bin/python3", arguments: [directory + "/receiver.py", directory, String(failures)],
                                   logPath: directory + "/receiver.log")
        var port: Int?
        try eventually(timeout: 10, "the webhook receiver listening") {
            port = (try? String(contentsOfFile: directory + "/port", encoding: .utf8)).flatMap { Int($0) }
            return port != nil
        }
        self.port = port!
    }

    /// The JSON bodies delivered so far (after the refused attempts), in order.
    var received: [[String: Any]] {
        let text = (try? String(contentsOfFile: bodiesPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// Every POST received, refused or not.
    var attempts: Int {
        ((try? String(contentsOfFile: directory + "/attempts.log", encoding: .utf8)) ?? "").split(separator: "\n").count
    }
}
