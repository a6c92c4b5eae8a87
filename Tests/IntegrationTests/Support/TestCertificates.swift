import Foundation

/// A throwaway PKI (P-256 keys: quick to make) made with the `openssl` CLI at test time: a CA, a server certificate for 127.0.0.1 and
/// localhost, client certificates for the gateway and the test publisher, and a second, unrelated CA with a server
/// certificate of its own (a broker the gateway must not trust).
struct TestCertificates {
    let directory: String
    var caFile: String { directory + "/ca.crt" }
    var serverCertificate: String { directory + "/server.crt" }
    var serverKey: String { directory + "/server.key" }
    /// Client certificate with CN `pmc-gateway`.
    var gatewayCertificate: String { directory + "/gateway.crt" }
    var gatewayKey: String { directory + "/gateway.key" }
    /// Client certificate with CN `test-publisher`.
    var publisherCertificate: String { directory + "/publisher.crt" }
    var publisherKey: String { directory + "/publisher.key" }
    /// A CA that signed nothing the broker uses, and a server certificate it signed.
    var otherCAFile: String { directory + "/other-ca.crt" }
    var otherServerCertificate: String { directory + "/other-server.crt" }
    var otherServerKey: String { directory + "/other-server.key" }

    static var openssl: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(folder)/openssl"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Generates everything into `directory` (created if needed).
    init(directory: String) throws {
        guard let openssl = Self.openssl else {
            throw TestFailure("the openssl command is needed to make the test certificates and is not on PATH: install the Debian package openssl (scripts/install-deps does)")
        }
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func run(_ arguments: [String]) throws {
            let process = try ChildProcess(executable: openssl, arguments: arguments, logPath: directory + "/openssl.log")
            guard let status = process.waitForExit(timeout: 60) else {
                process.kill(signal: 9)
                throw TestFailure("openssl \(arguments.joined(separator: " ")) did not finish within 60 s")
            }
            guard status == 0 else {
                throw TestFailure("openssl \(arguments.joined(separator: " ")) failed (status \(status)):\n\(process.log.suffix(2000))")
            }
        }
        func authority(_ name: String, subject: String) throws {
            try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-sha256", "-days", "2",
                     "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).crt", "-subj", subject,
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        func certificate(_ name: String, commonName: String, signedBy ca: String, extensions: String) throws {
            try run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-sha256", "-keyout", "\(directory)/\(name).key",
                     "-out", "\(directory)/\(name).csr", "-subj", "/CN=\(commonName)"])
            try extensions.write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
            try run(["x509", "-req", "-sha256", "-days", "2", "-in", "\(directory)/\(name).csr",
                     "-CA", "\(directory)/\(ca).crt", "-CAkey", "\(directory)/\(ca).key", "-CAcreateserial",
                     "-out", "\(directory)/\(name).crt", "-extfile", "\(directory)/\(name).ext"])
        }
        let server = """
            basicConstraints=CA:FALSE
            keyUsage=digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth
            subjectAltName=IP:127.0.0.1,DNS:localhost

            """
        let client = """
            basicConstraints=CA:FALSE
            keyUsage=digitalSignature,keyEncipherment
            extendedKeyUsage=clientAuth

            """
        try authority("ca", subject: "/CN=pmc-gateway test CA")
        try certificate("server", commonName: "127.0.0.1", signedBy: "ca", extensions: server)
        try certificate("gateway", commonName: "pmc-gateway", signedBy: "ca", extensions: client)
        try certificate("publisher", commonName: "test-publisher", signedBy: "ca", extensions: client)
        try authority("other-ca", subject: "/CN=some other CA")
        try certificate("other-server", commonName: "127.0.0.1", signedBy: "other-ca", extensions: server)
    }

    /// Listener lines for mosquitto: TLS with this CA's server certificate (or the other CA's), optionally
    /// requiring a client certificate whose CN becomes the user name.
    func listenerOptions(requireClientCertificate: Bool = false, untrustedServer: Bool = false) -> String {
        var lines = [
            "cafile \(caFile)",
            "certfile \(untrustedServer ? otherServerCertificate : serverCertificate)",
            "keyfile \(untrustedServer ? otherServerKey : serverKey)",
        ]
        if requireClientCertificate {
            lines += ["require_certificate true", "use_identity_as_username true"]
        }
        return lines.joined(separator: "\n")
    }
}
