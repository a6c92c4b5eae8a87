import Foundation
import SwiftCSV

/// A CSV file read line by line with SwiftCSV, so that every row keeps its line number for messages.
///
/// The delimiter (comma, semicolon or tab) is guessed from the header line. Blank lines and lines starting
/// with `#` are skipped. Cells may be quoted (`"1, place de la Mairie"`), but a quoted cell cannot span several
/// lines: each row must be on one line, which keeps line numbers exact.
struct CSVTable {
    struct Row {
        /// The 1-based line in the file (the header is on line 1 when the file starts with it).
        let line: Int
        let cells: [String]
    }

    let file: String
    let delimiter: Character
    let header: [String]
    let headerLine: Int
    let rows: [Row]

    /// The file's header and rows, or `nil` after logging why it cannot be read. Malformed rows are logged
    /// and left out.
    static func read(_ file: String, log: IssueLog) -> CSVTable? {
        guard let text = FilePaths.readText(file, what: "CSV file", log: log) else { return nil }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        let content = lines.enumerated().filter { !isSkipped($0.element) }
        guard let (headerIndex, headerText) = content.first else {
            log.add(file, line: nil, "CSV file is empty: the first line must be the header (column names)")
            return nil
        }
        let delimiter = CSVDelimiter.guessed(string: headerText)
        guard let header = cells(headerText, line: headerIndex + 1, delimiter: delimiter, file: file, log: log) else { return nil }

        var rows: [Row] = []
        for (index, lineText) in content.dropFirst() {
            guard let cells = cells(lineText, line: index + 1, delimiter: delimiter, file: file, log: log) else { continue }
            if cells.count > header.count {
                log.add(file, line: index + 1, "row has \(cells.count) cells but the header has \(header.count) columns: quote cells containing '\(delimiter.rawValue)' or add a column name")
                continue
            }
            rows.append(Row(line: index + 1, cells: cells))
        }
        return CSVTable(file: file, delimiter: delimiter.rawValue, header: header, headerLine: headerIndex + 1, rows: rows)
    }

    /// The trimmed cells of one line, or `nil` after logging a malformed line.
    private static func cells(_ text: String, line: Int, delimiter: CSVDelimiter, file: String, log: IssueLog) -> [String]? {
        guard text.filter({ $0 == "\"" }).count.isMultiple(of: 2) else {
            log.add(file, line: line, "a quoted cell is not closed on this line: add the closing '\"' (a cell cannot span several lines)")
            return nil
        }
        do {
            let parsed = try EnumeratedCSV(string: text, delimiter: delimiter, loadColumns: false)
            return parsed.header.map { $0.trimmingCharacters(in: .whitespaces) }
        } catch {
            log.add(file, line: line, "malformed CSV line: a '\"' inside a quoted cell must be doubled (\"\"), and a quoted cell must be followed by '\(delimiter.rawValue)' or the end of the line")
            return nil
        }
    }

    private static func isSkipped(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.allSatisfy { $0 == "," || $0 == ";" || $0 == "\t" || $0 == " " }
    }

    /// The cells of a row keyed by column name; empty cells are left out.
    func values(of row: Row) -> [String: String] {
        var values: [String: String] = [:]
        for (column, cell) in zip(header, row.cells) where !cell.isEmpty {
            values[column] = cell
        }
        return values
    }
}
