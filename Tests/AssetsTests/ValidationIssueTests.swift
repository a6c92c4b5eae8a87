import Testing
@testable import Assets

@Suite("Validation issues")
struct ValidationIssueTests {
    @Test("An issue with a line prints as file:line: message")
    func printsFileLineMessage() {
        let issue = ValidationIssue(file: "/etc/pmc/config.yaml", line: 12, message: "unknown domain 'eclairge'")
        #expect(issue.description == "/etc/pmc/config.yaml:12: unknown domain 'eclairge'")
    }

    @Test("An issue about a whole file prints as file: message")
    func printsFileMessageWithoutLine() {
        let issue = ValidationIssue(file: "devices", line: nil, message: "profiles folder not found")
        #expect(issue.description == "devices: profiles folder not found")
    }

    @Test("ValidationFailed lists every issue, one per line")
    func failureListsAllIssues() {
        let failure = ValidationFailed(issues: [
            ValidationIssue(file: "a.yaml", line: 1, message: "first"),
            ValidationIssue(file: "b.csv", line: 7, message: "second"),
        ])
        #expect(failure.description == "a.yaml:1: first\nb.csv:7: second")
        #expect(failure.localizedDescription == failure.description)
    }

    @Test("Suggestions find plausible typos and ignore unrelated words")
    func suggestions() {
        #expect(Suggestions.closest(to: "eclairge", in: InventoryVocabulary.domains) == "eclairage")
        #expect(Suggestions.closest(to: "hots", in: ["host", "port"]) == "host")
        #expect(Suggestions.closest(to: "zzzzzzzz", in: ["host", "port"]) == nil)
    }
}
