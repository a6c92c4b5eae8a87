import Foundation
import Yams

/// Reads a YAML file into a Yams node tree, whose marks give every value its line.
enum YAMLDocument {
    /// The root node of the file at `path`, or `nil` after logging why it cannot be used
    /// (missing, unreadable, empty, or not YAML — with the line of the syntax error).
    static func load(_ path: String, what: String, log: IssueLog) -> Node? {
        guard let text = FilePaths.readText(path, what: what, log: log) else { return nil }
        do {
            guard let root = try Yams.compose(yaml: text) else {
                log.add(path, line: nil, "\(what) is empty")
                return nil
            }
            return root
        } catch let error as YamlError {
            let (line, message) = describe(error, text: text)
            log.add(path, line: line, message)
        } catch {
            log.add(path, line: nil, "invalid YAML: \(error)")
        }
        return nil
    }

    private static let syntaxHint = "check the indentation (spaces, not tabs) and quote text containing ': ', ' #', '{' or '['"

    /// The line and a readable message for a Yams parse error.
    private static func describe(_ error: YamlError, text: String) -> (Int?, String) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            var message = "invalid YAML at column \(mark.column): \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            return (mark.line, message + "; " + syntaxHint)
        case let .reader(problem, offset, _, _):
            let line = offset.map { offset in text.prefix(offset).reduce(1) { $1.isNewline ? $0 + 1 : $0 } }
            return (line, "unreadable YAML text: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return (context.mark.line, "key \(keys) appears more than once in the same mapping: keep only one")
        default:
            return (nil, "invalid YAML: \(error)")
        }
    }
}

extension Node {
    /// The 1-based line the node starts on.
    var line: Int? { mark?.line }

    /// A YAML null (`~`, `null`, or nothing after the colon); a quoted `"null"` is text.
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// "a list", "a mapping", "text", for messages.
    var kindDescription: String {
        switch self {
        case .scalar: "a single value"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
