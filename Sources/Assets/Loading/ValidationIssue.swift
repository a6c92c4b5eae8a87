import Foundation

/// One problem found in a configuration, inventory, CSV or device-profile file, pointing at the line to fix.
///
/// Prints as `file:line: message` (or `file: message` when the problem concerns a whole file), the format
/// editors and terminals recognise as a clickable location.
public struct ValidationIssue: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the problem is in, as the loader was given it (absolute once resolved from the configuration).
    public var file: String
    /// The 1-based line, when the problem is at a precise place.
    public var line: Int?
    /// What is wrong and how to fix it.
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { "\(file):\(line): \(message)" } else { "\(file): \(message)" }
    }
}

/// Thrown by the loaders when a file has problems: every issue found, not just the first.
public struct ValidationFailed: Error, Sendable, CustomStringConvertible {
    public var issues: [ValidationIssue]

    public init(issues: [ValidationIssue]) {
        self.issues = issues
    }

    /// One issue per line.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}

extension ValidationFailed: LocalizedError {
    public var errorDescription: String? { description }
}

/// A place in a file, for messages that point from one declaration to another ("already declared at …").
struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    var file: String
    var line: Int?

    var description: String {
        if let line { "\(file):\(line)" } else { file }
    }
}

/// Collects the issues found while loading; shared by the loaders so a check reports everything at once.
final class IssueLog {
    private var recorded: [ValidationIssue] = []

    var count: Int { recorded.count }

    /// The issues in reading order: files in the order they were first reported, and within a file by line
    /// (whole-file issues first), so a user can fix them from top to bottom.
    var issues: [ValidationIssue] {
        var fileOrder: [String: Int] = [:]
        for issue in recorded where fileOrder[issue.file] == nil {
            fileOrder[issue.file] = fileOrder.count
        }
        return recorded.enumerated().sorted { a, b in
            let (fileA, fileB) = (fileOrder[a.element.file] ?? 0, fileOrder[b.element.file] ?? 0)
            if fileA != fileB { return fileA < fileB }
            let (lineA, lineB) = (a.element.line ?? 0, b.element.line ?? 0)
            if lineA != lineB { return lineA < lineB }
            return a.offset < b.offset
        }.map(\.element)
    }

    func add(_ file: String, line: Int?, _ message: String) {
        recorded.append(ValidationIssue(file: file, line: line, message: message))
    }

    func add(_ location: SourceLocation, _ message: String) {
        add(location.file, line: location.line, message)
    }

    /// Throws every collected issue when there is at least one.
    func throwIfAny() throws(ValidationFailed) {
        if !recorded.isEmpty { throw ValidationFailed(issues: issues) }
    }
}
