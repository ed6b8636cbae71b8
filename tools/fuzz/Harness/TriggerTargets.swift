import Foundation
import TriggerKit

/// Durations: an accepted text is positive, and its canonical form parses back to the same length.
func fuzzDuration(_ data: Data) {
    let input = text(data)
    guard let seconds = try? TriggerDuration.parse(input, field: "interval") else { return }
    check(seconds > 0, "\(input.debugDescription) parsed to \(seconds)")
    let canonical = TriggerDuration.format(seconds: seconds)
    let again = try? TriggerDuration.parse(canonical, field: "interval")
    check(
        again == seconds,
        "\(input.debugDescription) = \(seconds) s, but \(canonical) parses to \(String(describing: again))")
}

/// Cron: an accepted expression fires (it is rejected otherwise), its next fire time (UTC) is later than the
/// start and matches the expression, and re-parsing the stored text gives the same schedule.
func fuzzCron(_ data: Data) {
    let input = text(data)
    let utc = TimeZone(identifier: "UTC")!
    guard let cron = try? CronExpression(input, timeZone: utc) else { return }
    let again = try? CronExpression(cron.expression, timeZone: utc)
    check(again == cron, "\(input.debugDescription) does not re-parse to the same schedule")
    let start = Date(timeIntervalSince1970: 1_780_000_000)
    guard let next = cron.nextFireDate(after: start) else {
        fatalError("invariant violated: \(input.debugDescription) was accepted but never fires")
    }
    check(next > start, "\(input.debugDescription): next fire \(next) is not after \(start)")
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = utc
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: next)
    check(
        cron.matches(year: c.year!, month: c.month!, day: c.day!, hour: c.hour!, minute: c.minute!),
        "\(input.debugDescription): next fire \(next) does not match the expression")
}

/// Globs (input: `pattern NUL path`): a matching path lies below the pattern's literal root, at the pattern's
/// depth when it has no `**`, and its directory is one the watcher would descend into.
func fuzzGlob(_ data: Data) {
    let (patternText, path) = twoTexts(data)
    guard let pattern = try? GlobPattern(patternText) else { return }
    check(pattern.root.unicodeScalars.first == "/", "\(patternText.debugDescription): root \(pattern.root) is relative")
    guard pattern.matches(path) else { return }
    let rootPrefix = pattern.root == "/" ? "/" : pattern.root + "/"
    check(
        path.unicodeScalars.starts(with: rootPrefix.unicodeScalars),
        "\(patternText.debugDescription) matches \(path.debugDescription) outside its root \(pattern.root)")
    let below = path.unicodeScalars.dropFirst(rootPrefix.unicodeScalars.count)
    let levels = below.split(separator: "/", omittingEmptySubsequences: false).count - 1
    if !pattern.isRecursive {
        check(
            levels == pattern.depth,
            "\(patternText.debugDescription) matches \(path.debugDescription) at depth \(levels)")
    }
    if let slash = path.unicodeScalars.lastIndex(of: "/") {
        let directory = String(path.unicodeScalars[..<slash])
        check(
            pattern.mayContainMatches(directory: directory.isEmpty ? "/" : directory),
            "\(patternText.debugDescription) matches \(path.debugDescription) but would skip its directory")
    }
}
