/// Conversions between a plan command's argv array and Pegasus' display string.
public enum PlanCommand {
    /// Pegasus' `plan_command` string: every element wrapped in double quotes, space-joined. Kept for display and
    /// for clients that read the field; the EM itself executes the argv array, never this string.
    public static func pegasusString(_ argv: [String]) -> String {
        "\"" + argv.joined(separator: "\" \"") + "\""
    }

    /// Splits a `plan_command` string sent by a client that has no argv field (the Pegasus 5.1 client sends
    /// `"/abs/plan.sh" "arg1" "arg2"`). Words are split on unquoted blanks; single quotes, double quotes and
    /// backslashes quote as in POSIX sh, but nothing is expanded: `$`, backticks and globs reach the planner as
    /// written. (Pegasus hands the string to `/bin/sh`, so its users' arguments are expanded on the server.)
    public static func split(_ command: String) throws(EMError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(command).makeIterator()
        while let c = iterator.next() {
            switch c {
            case " ", "\t", "\n":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "'":
                inWord = true
                while true {
                    guard let d = iterator.next() else { throw .invalid("Unterminated ' in plan_command") }
                    if d == "'" { break }
                    current.append(d)
                }
            case "\"":
                inWord = true
                while true {
                    guard let d = iterator.next() else { throw .invalid("Unterminated \" in plan_command") }
                    if d == "\"" { break }
                    if d == "\\" {
                        guard let e = iterator.next() else { throw .invalid("Unterminated \" in plan_command") }
                        if e != "\"" && e != "\\" && e != "$" && e != "`" { current.append(d) }
                        current.append(e)
                        continue
                    }
                    current.append(d)
                }
            case "\\":
                inWord = true
                if let d = iterator.next() { current.append(d) }
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        guard !words.isEmpty, !words[0].isEmpty else {
            throw .invalid("Specify 'plan_command' that should be executed to plan workflow")
        }
        return words
    }
}
