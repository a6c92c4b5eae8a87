/// Helpers for messages that tell the user what was expected.
enum Suggestions {
    /// The candidate closest to a misspelt word, when it is close enough to be a plausible typo.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(word.lowercased())
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(target, Array(candidate.lowercased()))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let tolerance = max(2, target.count / 3)
        return best.distance <= tolerance ? best.candidate : nil
    }

    /// "unknown X 'word' [in context] (did you mean 'y'? expected one of: a, b, c)".
    static func unknown(_ what: String, _ word: String, in context: String? = nil, expected candidates: [String]) -> String {
        var message = "unknown \(what) '\(word)'"
        if let context { message += " in \(context)" }
        message += " ("
        if let guess = closest(to: word, in: candidates) { message += "did you mean '\(guess)'? " }
        message += "expected one of: \(candidates.joined(separator: ", ")))"
        return message
    }

    /// "(did you mean 'y'?)" or an empty string.
    static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Levenshtein distance.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
