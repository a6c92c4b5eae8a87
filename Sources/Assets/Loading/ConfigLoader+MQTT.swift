import Foundation
import Yams

extension ConfigLoader {
    static let mqttKeys = ["host", "port", "client_id", "protocol", "keepalive", "username", "password", "password_file",
                           "password_env", "tls", "shared_group", "session_expiry", "reconnect_min", "reconnect_max"]
    static let tlsKeys = ["ca_file", "cert_file", "key_file", "insecure"]

    static func readMQTT(_ top: YAMLMapping, directory: String, reader: YAMLReader) -> MQTTSettings {
        var mqtt = MQTTSettings()
        guard let section = top.mapping("mqtt", context: "mqtt", keys: mqttKeys) else { return mqtt }
        let log = reader.log
        let file = reader.file

        if let host = section.text("host") { mqtt.host = host }
        if let port = section.integer("port", in: 1...65_535) { mqtt.port = port }
        if let clientID = section.text("client_id") { mqtt.clientID = clientID }
        if let version = section.text("protocol") {
            switch version {
            case "3.1.1", "311": mqtt.protocolVersion = .v311
            case "5", "5.0": mqtt.protocolVersion = .v5
            default:
                log.add(file, line: section.line(of: "protocol"), "unknown MQTT protocol version '\(version)' (expected \"3.1.1\" or \"5\")")
            }
        }
        // libmosquitto refuses keep-alive intervals below 5 s.
        if let keepAlive = section.integer("keepalive", in: 5...65_535, unit: "seconds") { mqtt.keepAlive = keepAlive }

        readCredentials(section, into: &mqtt, directory: directory, reader: reader)
        if let node = section.node("tls") {
            mqtt.tls = readTLS(node, directory: directory, reader: reader)
        }

        if let group = section.text("shared_group") {
            if group.contains(where: { "/+#".contains($0) }) {
                log.add(file, line: section.line(of: "shared_group"), "'shared_group' cannot contain '/', '+' or '#': use a plain name such as 'gateways'")
            } else {
                mqtt.sharedGroup = group
            }
        }
        if let expiry = section.integer("session_expiry", in: 0...4_294_967_295, unit: "seconds") { mqtt.sessionExpiry = expiry }
        if let minimum = section.integer("reconnect_min", in: 1...86_400, unit: "seconds") { mqtt.reconnectDelayMin = minimum }
        if let maximum = section.integer("reconnect_max", in: 1...86_400, unit: "seconds") { mqtt.reconnectDelayMax = maximum }
        if mqtt.reconnectDelayMax < mqtt.reconnectDelayMin {
            log.add(file, line: section.line(of: "reconnect_max"),
                    "'reconnect_max' (\(mqtt.reconnectDelayMax) s) is shorter than 'reconnect_min' (\(mqtt.reconnectDelayMin) s): the delay grows from min to max")
        }
        return mqtt
    }

    private static func readCredentials(_ section: YAMLMapping, into mqtt: inout MQTTSettings, directory: String, reader: YAMLReader) {
        let log = reader.log
        let file = reader.file
        if section.node("password") != nil {
            log.add(file, line: section.line(of: "password"),
                    "a password cannot be written in the configuration file: put it in a file readable only by the gateway and set 'password_file', or set 'password_env' to the name of an environment variable holding it")
        }
        mqtt.username = section.text("username")
        if let path = section.text("password_file") {
            let resolved = FilePaths.resolve(path, relativeTo: directory)
            mqtt.passwordFile = resolved
            if !FilePaths.isFile(resolved) {
                log.add(file, line: section.line(of: "password_file"), "password file not found: \(resolved) (create it with the password on its first line)")
            }
        }
        if let variable = section.text("password_env") {
            if variable.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) == nil {
                log.add(file, line: section.line(of: "password_env"), "'password_env' must be an environment variable name (letters, digits and '_'), got '\(variable)'")
            } else {
                mqtt.passwordEnvironment = variable
            }
        }
        if section.node("password_file") != nil, section.node("password_env") != nil {
            log.add(file, line: section.line(of: "password_env"), "set either 'password_file' or 'password_env', not both")
        }
        if mqtt.username == nil, section.node("password_file") != nil || section.node("password_env") != nil {
            log.add(file, line: section.line(of: "username"), "a password is configured but no 'username': add the broker user name")
        }
    }

    private static func readTLS(_ node: Node, directory: String, reader: YAMLReader) -> TLSSettings? {
        guard let section = reader.mapping(node, "mqtt.tls", keys: tlsKeys) else { return nil }
        func path(_ key: String, required: Bool = false) -> String? {
            guard let value = section.text(key, required: required, hint: "the CA certificate (PEM) that signed the broker's certificate") else { return nil }
            let resolved = FilePaths.resolve(value, relativeTo: directory)
            if !FilePaths.isFile(resolved) {
                reader.log.add(reader.file, line: section.line(of: key), "'\(key)' not found: \(resolved)")
            }
            return resolved
        }
        let ca = path("ca_file", required: true)
        let certificate = path("cert_file")
        let key = path("key_file")
        if (certificate == nil) != (key == nil) {
            reader.log.add(reader.file, line: section.line(of: certificate == nil ? "key_file" : "cert_file"),
                           "client authentication needs both 'cert_file' and 'key_file'")
        }
        guard let ca else { return nil }
        return TLSSettings(caFile: ca, certificateFile: certificate, keyFile: key, insecure: section.boolean("insecure") ?? false)
    }
}
