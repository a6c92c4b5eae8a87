import Foundation
import Testing
@testable import Alerts

/// `HTTPPost` against real loopback sockets: a one-shot server answering what a test tells it to.
struct HTTPPostTests {
    /// Listens on a free loopback port; `answer`, if given, is sent to the first connection after reading its request.
    final class OneShotServer: @unchecked Sendable {
        let socket: Int32
        let port: Int
        private let lock = NSLock()
        private var captured = ""

        init(answer: String?) throws {
            let listener = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
            guard bound == 0, listen(listener, 4) == 0 else { throw TestFailure("cannot listen") }
            withUnsafeMutablePointer(to: &address) { _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
            socket = listener
            port = Int(UInt16(bigEndian: address.sin_port))
            guard let answer else { return }
            Thread.detachNewThread { [self] in
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4_096)
                // Until the body announced by Content-Length is in.
                while true {
                    let count = recv(client, &buffer, buffer.count, 0)
                    if count <= 0 { break }
                    request += buffer[0..<count]
                    let text = String(decoding: request, as: UTF8.self)
                    if let split = text.range(of: "\r\n\r\n"),
                       let length = text.split(separator: "\r\n").first(where: { $0.hasPrefix("Content-Length: ") }).flatMap({ Int($0.dropFirst(16)) }),
                       text[split.upperBound...].utf8.count >= length { break }
                }
                lock.withLock { captured = String(decoding: request, as: UTF8.self) }
                _ = answer.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }

        var request: String { lock.withLock { captured } }
        deinit { close(socket) }
    }

    struct TestFailure: Error { let message: String; init(_ message: String) { self.message = message } }

    @Test("posts the JSON with its length to the URL's path and query, and returns the status of the answer")
    func posts() throws {
        let server = try OneShotServer(answer: "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        let url = try #require(URL(string: "http://127.0.0.1:\(server.port)/alertes?commune=test"))
        let status = try HTTPPost(url: url, timeout: 5).send(Array(#"{"event":"opened"}"#.utf8))
        #expect(status == 201)
        let request = server.request
        #expect(request.hasPrefix("POST /alertes?commune=test HTTP/1.1\r\n"))
        #expect(request.contains("Content-Type: application/json; charset=utf-8\r\n") && request.contains("Content-Length: 18\r\n"))
        #expect(request.hasSuffix("\r\n\r\n{\"event\":\"opened\"}"))
    }

    @Test("a receiver that never answers is an error after the timeout, saying so")
    func timesOut() throws {
        let server = try OneShotServer(answer: nil)   // listening, never accepting: connect succeeds, no answer comes
        let started = Date()
        #expect { try HTTPPost(url: URL(string: "http://127.0.0.1:\(server.port)/")!, timeout: 0.5).send([]) } throws: { error in
            "\(error)".contains("no answer within 0.5 s")
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("nothing listening, or something that is not HTTP: errors that say what happened")
    func refusedAndGarbled() throws {
        // A port nobody listens on any more (closing it here by hand would close it twice: the number may be reused).
        let port = try { try OneShotServer(answer: nil).port }()
        #expect { try HTTPPost(url: URL(string: "http://127.0.0.1:\(port)/")!, timeout: 2).send([]) } throws: { error in
            "\(error)".contains("cannot connect to 127.0.0.1:\(port): Connection refused")
        }
        let garbled = try OneShotServer(answer: "hello there\n")
        #expect { try HTTPPost(url: URL(string: "http://127.0.0.1:\(garbled.port)/")!, timeout: 2).send([]) } throws: { error in
            "\(error)".contains("not an HTTP answer: hello there")
        }
    }
}
