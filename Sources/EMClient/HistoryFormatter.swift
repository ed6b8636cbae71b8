/// The history outputs of issue 15: `trigger-files`, the input files of `status`, and the hint to the next page.
/// None of them appears in an output Pegasus defines unless the server sends the new fields.
extension OutputFormatter {
    /// `pegasus-em trigger-files ENSEMBLE TRIGGER`: one row per file, newest first.
    ///
    /// ```
    /// RECORDED                 WORKFLOW                       STATE        PATH
    /// 2026-12-07 18:00:00 UTC  files_1796666400               SUCCESSFUL   /data/in/a.txt
    /// 2026-12-07 17:00:00 UTC  (skipped at creation)          -            /data/in/old.txt
    /// ```
    /// A deleted workflow's state is `(deleted)`; a moved file shows ` -> DESTINATION`; rows of a predecessor
    /// trigger (a re-created trigger shares its ledger) end with ` [trigger NAME]`.
    public func triggerFiles(_ page: TriggerFilesPage, trigger: String) -> String {
        guard !page.files.isEmpty else { return "No recorded files match.\n" }
        func row(_ c: [String]) -> String {
            pad(c[0], 24) + " " + pad(c[1], 30) + " " + pad(c[2], 12) + " " + c[3] + "\n"
        }
        var out = row(["RECORDED", "WORKFLOW", "STATE", "PATH"])
        for f in page.files {
            let workflow = f.workflow ?? "(skipped at creation)"
            let state = f.workflowState ?? (f.workflow == nil ? "-" : "(deleted)")
            var path = f.path
            if let moved = f.movedTo { path += " -> " + moved }
            if f.trigger != trigger { path += " [trigger \(f.trigger)]" }
            out += row([time(f.recorded), workflow, state, path])
        }
        return out
    }

    /// The `Input Files:` block `status` prints after Pegasus' lines, for a workflow a trigger submitted; empty
    /// for any other (so `status` of a workflow submitted by hand prints exactly what Pegasus' client does).
    ///
    /// ```
    /// Input Files:  2, recorded 2026-12-07 18:00:00 UTC by trigger files
    ///   /data/in/a.txt
    ///   /data/in/b.txt
    /// ```
    public func inputFiles(_ w: WorkflowResource) -> String {
        guard let files = w.inputFiles, let first = files.first else { return "" }
        let triggers = files.map(\.trigger).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var out = "Input Files:  \(files.count), recorded \(time(first.recorded)) by trigger "
        out += triggers.joined(separator: ", ") + "\n"
        for f in files { out += "  \(f.path)\n" }
        return out
    }

    /// The line after a page that has a next one: the command to run for it (arguments shell-quoted).
    public func nextPage(_ command: [String], after cursor: String) -> String {
        "Next page: " + (command + ["--after", cursor]).map(shellQuote).joined(separator: " ") + "\n"
    }
}
