import EMTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension TriggerHarness {
    /// Waits until `expected` and then `sentinel` (written after everything else, so anything wrongly matched
    /// would be submitted no later than it) are submitted, lets one more tick pass, then checks that exactly
    /// these files were submitted, each once.
    func expectSubmitted(
        _ id: Int64, exactly expected: [String], sentinel: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await untilSubmitted(id, expected + [sentinel], timeout: 30, sourceLocation: sourceLocation)
        try await Task.sleep(for: .milliseconds(1200))
        let all = expected + [sentinel]
        #expect(
            try inputCounts(id) == Dictionary(uniqueKeysWithValues: all.map { ($0, 1) }), sourceLocation: sourceLocation
        )
        #expect(try ledger(id).map(\.path).sorted() == all.sorted(), sourceLocation: sourceLocation)
    }

    /// The trigger's first watch root as GET shows it.
    func watchRoot(_ name: String) async throws -> [String: Any]? {
        ((try await trigger(name)["watch"] as? [String: Any])?["roots"] as? [[String: Any]])?.first
    }
}

/// Each documented pattern rule as a real server applies it, in both watch modes (issue 7).
@Suite("File patterns, end to end", .enabled(if: serverBuilt))
struct FilePatternTests {
    @Test(
        "/in/*: files directly in /in, old and new; no directories, nothing below them; the trigger survives a processed/ dir",
        .timeLimit(.minutes(1)), arguments: watchModes)
    func topLevelStar(mode: String) async throws {
        let h = try await TriggerHarness()
        let d = h.path("in")
        try FileWriter.mkdirs(d + "/processed")
        try FileWriter.mkdirs(d + "/sub")
        try FileWriter.write(d + "/old.txt")
        try FileWriter.write(d + "/processed/p.txt")
        try FileWriter.write(d + "/sub/deep.txt")
        let created = now()
        let id = try await h.fileTrigger("star", patterns: [d + "/*"], mode: mode)
        try FileWriter.write(d + "/a.txt")
        try FileWriter.write(d + "/b")
        try FileWriter.mkdirs(d + "/newdir")
        try FileWriter.write(d + "/newdir/c.txt")
        try FileWriter.write(d + "/zzz")
        try await h.expectSubmitted(id, exactly: [d + "/old.txt", d + "/a.txt", d + "/b"], sentinel: d + "/zzz")
        let t = try await h.trigger("star")
        #expect(t["state"] as? String == "RUNNING")
        // Quiet ticks are not written to the store, but the detail shows the live next tick (interval 1 s), not
        // the first one, stored at creation (a tick may run late on a loaded machine, hence the 3 s).
        let next = try #require(t["next_fire"] as? Double)
        #expect(next > created + 1.5, "next_fire \(next - created) s after creation")
        #expect(next > now() - 3 && next <= now() + 1.05, "next_fire \(next - now()) s from now")
        // Files are passed where they are, never moved.
        for f in ["/old.txt", "/a.txt", "/processed/p.txt"] {
            #expect(FileManager.default.fileExists(atPath: d + f))
        }
    }

    @Test(
        "/in/*/x.txt: x.txt one level down, in old and new directories, nowhere else", .timeLimit(.minutes(1)),
        arguments: watchModes)
    func wildcardDirectory(mode: String) async throws {
        let h = try await TriggerHarness()
        let d = h.path("in")
        try FileWriter.mkdirs(d + "/a")
        try FileWriter.write(d + "/a/x.txt")
        let id = try await h.fileTrigger("wild", patterns: [d + "/*/x.txt"], mode: mode)
        try FileWriter.mkdirs(d + "/b")
        try FileWriter.write(d + "/b/x.txt")
        try FileWriter.write(d + "/x.txt")
        try FileWriter.write(d + "/a/y.txt")
        try FileWriter.mkdirs(d + "/a/deeper")
        try FileWriter.write(d + "/a/deeper/x.txt")
        try FileWriter.mkdirs(d + "/processed")
        try FileWriter.write(d + "/processed/x.txt")
        try FileWriter.mkdirs(d + "/.hidden")
        try FileWriter.write(d + "/.hidden/x.txt")
        try FileWriter.mkdirs(d + "/z")
        try FileWriter.write(d + "/z/x.txt")
        try await h.expectSubmitted(id, exactly: [d + "/a/x.txt", d + "/b/x.txt"], sentinel: d + "/z/x.txt")
    }

    @Test(
        "/in/**/*.csv: at any depth, in directories created after the start (50 mkdir -p races); not in .git or processed",
        .timeLimit(.minutes(1)), arguments: watchModes)
    func recursive(mode: String) async throws {
        let h = try await TriggerHarness()
        let d = h.path("in")
        try FileWriter.mkdirs(d + "/old")
        try FileWriter.write(d + "/top.csv")
        try FileWriter.write(d + "/old/o.csv")
        let id = try await h.fileTrigger("deep", patterns: [d + "/**/*.csv"], mode: mode)
        var expected = [d + "/top.csv", d + "/old/o.csv"]
        try FileWriter.write(d + "/a.csv")
        try FileWriter.mkdirs(d + "/x/y/z")
        try FileWriter.write(d + "/x/y/z/deep.csv")
        expected += [d + "/a.csv", d + "/x/y/z/deep.csv"]
        for i in 0..<50 {
            try FileWriter.mkdirs(d + "/r\(i)/b/c")
            try FileWriter.write(d + "/r\(i)/b/c/f.csv")
            expected.append(d + "/r\(i)/b/c/f.csv")
        }
        try FileWriter.mkdirs(d + "/.git")
        try FileWriter.write(d + "/.git/h.csv")
        try FileWriter.mkdirs(d + "/x/processed")
        try FileWriter.write(d + "/x/processed/p.csv")
        try FileWriter.write(d + "/x/a.txt")
        try FileWriter.mkdirs(d + "/zz")
        try FileWriter.write(d + "/zz/last.csv")
        try await h.expectSubmitted(id, exactly: expected, sentinel: d + "/zz/last.csv")
    }

    @Test(
        "A symlink to a file is submitted under its own path; the target stays put; dangling links are not",
        .timeLimit(.minutes(1)), arguments: watchModes)
    func symlinkedInputs(mode: String) async throws {
        let h = try await TriggerHarness()
        let d = h.path("in")
        let src = h.path("src")
        try FileWriter.mkdirs(d)
        try FileWriter.mkdirs(src + "/dir.dat")
        try FileWriter.write(src + "/old.dat", "old\n")
        try FileWriter.write(src + "/target.dat", "target\n")
        try FileWriter.symlink(d + "/old.dat", to: src + "/old.dat")
        let id = try await h.fileTrigger("links", patterns: [d + "/*.dat"], mode: mode)
        try FileWriter.symlink(d + "/link.dat", to: src + "/target.dat")
        try FileWriter.symlink(d + "/dangling.dat", to: src + "/none.dat")
        try FileWriter.symlink(d + "/dirlink.dat", to: src + "/dir.dat")
        try FileWriter.write(d + "/zz.dat")
        try await h.expectSubmitted(id, exactly: [d + "/old.dat", d + "/link.dat"], sentinel: d + "/zz.dat")
        // Nothing was resolved or moved: the links are still links, the targets still in place.
        for link in ["/old.dat", "/link.dat"] {
            var info = stat()
            #expect(lstat(d + link, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
        }
        #expect(try String(contentsOfFile: src + "/target.dat", encoding: .utf8) == "target\n")
        #expect(try h.workflows(id).allSatisfy { !$0.inputs.contains { $0.hasPrefix(src) } })
    }

    @Test(
        "A re-used file name: each rewrite is a new file and a new submission; a restart resubmits nothing",
        .timeLimit(.minutes(1)), arguments: watchModes)
    func rewrittenFile(mode: String) async throws {
        let h = try await TriggerHarness()
        let d = h.path("in")
        try FileWriter.mkdirs(d)
        let id = try await h.fileTrigger("reuse", patterns: [d + "/*.txt"], mode: mode)
        let a = d + "/a.txt"
        try FileWriter.write(a, "version 1\n")
        try await h.untilSubmitted(id, [a])
        try FileWriter.write(a, "version 2, longer\n")
        try await h.until("the rewritten file to be submitted again") { try h.ledger(id).count == 2 }
        // Same size, new content and mtime.
        try await Task.sleep(for: .milliseconds(20))
        try FileWriter.write(a, "version 3, longer\n")
        try await h.until("the third version to be submitted") { try h.ledger(id).count == 3 }
        try await h.stopServer()
        try await h.startServer()
        try FileWriter.write(d + "/z.txt")
        try await h.untilSubmitted(id, [d + "/z.txt"])
        try await Task.sleep(for: .milliseconds(1200))
        let rows = try h.ledger(id).filter { $0.path == a }
        #expect(rows.count == 3)
        #expect(Set(rows.map(\.workflow)).count == 3)
        #expect(rows.map(\.size) == [10, 18, 18])
        #expect(Set(rows.map(\.mtimeNanoseconds)).count == 3)
        #expect(try h.inputCounts(id) == [a: 3, d + "/z.txt": 1])
    }

    @Test(
        "Dotfiles, *.part and *.tmp are ignored; renamed to a real name, they are submitted",
        .timeLimit(.minutes(1)), arguments: watchModes)
    func ignoredNames(mode: String) async throws {
        let h = try await TriggerHarness()
        let d = h.path("in")
        let tmp = h.path("tmp")
        try FileWriter.mkdirs(d)
        try FileWriter.mkdirs(tmp)
        let id = try await h.fileTrigger("ignore", patterns: [d + "/*"], mode: mode)
        for name in [".hidden", "a.part", "b.tmp", "c.txt.part", ".d.swp"] {
            try FileWriter.write(d + "/" + name)
        }
        try FileWriter.writeAndRename(d + "/d.txt", via: d + "/d.txt.part")
        try FileWriter.writeAndRename(d + "/e.txt", via: d + "/.e.txt.tmp")
        try FileWriter.writeAndRename(d + "/f.txt", via: tmp + "/f")
        try FileWriter.write(d + "/zz")
        try await h.expectSubmitted(id, exactly: [d + "/d.txt", d + "/e.txt", d + "/f.txt"], sentinel: d + "/zz")
    }

    @Test(
        "A root that does not exist yet is waited for: a tree moved in and files written later are submitted",
        .timeLimit(.minutes(1)), arguments: watchModes)
    func missingRoot(mode: String) async throws {
        let h = try await TriggerHarness()
        let root = h.path("later/in")
        let id = try await h.fileTrigger("later", patterns: [root + "/*.txt"], mode: mode)
        try await h.until("the trigger to wait for its root") {
            try await h.watchRoot("later")?["state"] as? String == "waitingForRoot"
        }
        #expect(try await h.trigger("later")["state"] as? String == "RUNNING")
        let staging = h.path("staging")
        try FileWriter.mkdirs(staging + "/in")
        try FileWriter.write(staging + "/in/pre.txt")
        #expect(rename(staging, h.path("later")) == 0)
        try await h.until("the root to be watched") { try await h.watchRoot("later")?["state"] as? String == "active" }
        try FileWriter.write(root + "/post.txt")
        try await h.expectSubmitted(id, exactly: [root + "/pre.txt"], sentinel: root + "/post.txt")
    }

    @Test(
        "processed/ below a pattern's root is never matched; a root inside a directory named processed works",
        .timeLimit(.minutes(1)), arguments: watchModes)
    func processedNeverMatched(mode: String) async throws {
        let h = try await TriggerHarness()
        let d = h.path("in")
        let incoming = h.path("processed/incoming")
        try FileWriter.mkdirs(d + "/processed")
        try FileWriter.mkdirs(d + "/x/processed")
        try FileWriter.mkdirs(incoming)
        try FileWriter.write(d + "/processed/old.txt")
        let id = try await h.fileTrigger("tree", patterns: [d + "/**/*.txt"], mode: mode)
        let other = try await h.fileTrigger("inside", patterns: [incoming + "/*.txt"], mode: mode)
        try FileWriter.write(d + "/processed/a.txt")
        try FileWriter.write(d + "/x/processed/b.txt")
        try FileWriter.write(d + "/ok.txt")
        try FileWriter.write(d + "/x/ok.txt")
        try FileWriter.write(incoming + "/c.txt")
        try FileWriter.write(d + "/zz.txt")
        try await h.expectSubmitted(id, exactly: [d + "/ok.txt", d + "/x/ok.txt"], sentinel: d + "/zz.txt")
        try await h.untilSubmitted(other, [incoming + "/c.txt"])
        #expect(try h.inputCounts(other) == [incoming + "/c.txt": 1])
    }
}
