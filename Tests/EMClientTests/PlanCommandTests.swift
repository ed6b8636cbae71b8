import EMTestSupport
import Foundation
import Testing

@testable import EMClient

/// `pathfind` semantics, `os.path.normpath`, and Pegasus' quoted `plan_command`.
@Suite struct PlanCommandTests {
    @Test func quotedStringIsPegasusFormat() {
        let plan = PlanCommand(argv: ["/home/ryan/plan.sh", "run1.dax", "a b", "$HOME", "`id`", #"say "hi""#])
        #expect(plan.pegasusString == #""/home/ryan/plan.sh" "run1.dax" "a b" "$HOME" "`id`" "say "hi"""#)
        #expect(PlanCommand(argv: ["/bin/true"]).pegasusString == #""/bin/true""#)
    }

    @Test(arguments: [
        ("/a/b/../c", "/a/c"), ("/a/./b//c/", "/a/b/c"), ("//a/b", "//a/b"), ("///a", "/a"), ("/..", "/"),
        ("a/../../b", "../b"), ("", "."), (".", "."), ("/", "/"),
    ])
    func normpath(input: String, output: String) {
        #expect(normalizePath(input) == output)
    }

    @Test func pathWithSlashMustBeExecutableFileAndIsMadeAbsolute() throws {
        let dir = try TemporaryDirectory(prefix: "plan")
        defer { dir.remove() }
        try dir.write("bin/plan.sh", "#!/bin/sh\n", executable: true)
        try dir.write("bin/data.txt", "x")
        try FileManager.default.createDirectory(atPath: dir.file("bin/sub.d"), withIntermediateDirectories: true)

        let cwd = dir.file("bin")
        #expect(PlanCommand.findExecutable("./plan.sh", workingDirectory: cwd, searchPath: nil) == cwd + "/plan.sh")
        #expect(
            PlanCommand.findExecutable("../bin/./plan.sh", workingDirectory: cwd, searchPath: nil) == cwd + "/plan.sh")
        #expect(
            PlanCommand.findExecutable(cwd + "/plan.sh", workingDirectory: "/", searchPath: nil) == cwd + "/plan.sh")
        // Not executable, a directory, missing: rejected, and PATH is not consulted for names with a slash.
        if geteuid() != 0 {
            #expect(PlanCommand.findExecutable("./data.txt", workingDirectory: cwd, searchPath: nil) == nil)
        }
        #expect(PlanCommand.findExecutable("./sub.d", workingDirectory: cwd, searchPath: nil) == nil)
        #expect(PlanCommand.findExecutable("./missing", workingDirectory: cwd, searchPath: "/bin:/usr/bin") == nil)
    }

    @Test func bareNameIsSearchedInPathInOrder() throws {
        let dir = try TemporaryDirectory(prefix: "plan")
        defer { dir.remove() }
        try dir.write("one/tool", "#!/bin/sh\n", executable: true)
        try dir.write("two/tool", "#!/bin/sh\n", executable: true)
        try dir.write("cwd/local", "#!/bin/sh\n", executable: true)
        try FileManager.default.createDirectory(atPath: dir.file("zero/tool"), withIntermediateDirectories: true)

        let path = [dir.file("zero"), dir.file("one"), dir.file("two")].joined(separator: ":")
        #expect(PlanCommand.findExecutable("tool", workingDirectory: "/", searchPath: path) == dir.file("one/tool"))
        #expect(PlanCommand.findExecutable("nope", workingDirectory: "/", searchPath: path) == nil)
        #expect(PlanCommand.findExecutable("tool", workingDirectory: "/", searchPath: nil) == nil)
        #expect(PlanCommand.findExecutable("", workingDirectory: "/", searchPath: path) == nil)
        // An empty PATH entry is the current directory, as in Python; the result is absolute anyway.
        #expect(
            PlanCommand.findExecutable("local", workingDirectory: dir.file("cwd"), searchPath: "/nonexistent::")
                == dir.file("cwd/local"))
        #expect(
            PlanCommand.findExecutable("local", workingDirectory: dir.path, searchPath: "cwd") == dir.file("cwd/local"))
    }

    @Test func resolveKeepsArgumentsUnchanged() {
        let args = ["--dir", "a b", "$(touch /tmp/pwned)", "`id`", "'q'", #""dq""#, "\\", ""]
        let plan = PlanCommand.resolve("sh", arguments: args, workingDirectory: "/", searchPath: "/bin:/usr/bin")
        #expect(plan?.argv.first?.hasSuffix("/sh") == true)
        #expect(plan.map { Array($0.argv.dropFirst()) } == args)
    }
}
