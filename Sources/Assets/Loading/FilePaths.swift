import Foundation

/// Path handling shared by the loaders: relative paths in a file are relative to that file's folder.
enum FilePaths {
    /// `path` made absolute: `~` is expanded, and a relative path is taken from `directory`
    /// (the current directory when `nil`). `.` and `..` components are removed.
    static func resolve(_ path: String, relativeTo directory: String? = nil) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let url: URL
        if expanded.hasPrefix("/") {
            url = URL(fileURLWithPath: expanded)
        } else {
            let base = directory ?? FileManager.default.currentDirectoryPath
            url = URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent(expanded)
        }
        return url.standardizedFileURL.path
    }

    /// The folder holding a file.
    static func directory(of file: String) -> String {
        (file as NSString).deletingLastPathComponent
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// The text of a UTF-8 file, or `nil` after logging why it cannot be read.
    static func readText(_ path: String, what: String, log: IssueLog) -> String? {
        if isDirectory(path) {
            log.add(path, line: nil, "\(what) is a folder, not a file")
            return nil
        }
        guard FileManager.default.fileExists(atPath: path) else {
            log.add(path, line: nil, "\(what) not found: check the path (relative paths start from the folder of the file that names them)")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            log.add(path, line: nil, "\(what) cannot be read: check its permissions")
            return nil
        }
        guard var text = String(data: data, encoding: .utf8) else {
            log.add(path, line: nil, "\(what) is not valid UTF-8 text: save it as UTF-8")
            return nil
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }
}
