import Foundation
import HTTPTypes
import Hummingbird

/// Paths of the file browser, always relative to a workflow's submit directory.
enum FileBrowserPath {
    /// A path as the STAMPEDE database stores it (relative to the submit directory, or absolute below it) made
    /// relative; nil for an absolute path elsewhere.
    static func relative(_ stored: String, to submitDir: String?) -> String? {
        guard stored.hasPrefix("/") else { return stored }
        guard let submitDir, !submitDir.isEmpty else { return nil }
        let base = submitDir.hasSuffix("/") ? submitDir : submitDir + "/"
        guard stored.hasPrefix(base) else { return nil }
        return String(stored.dropFirst(base.count))
    }

    /// The non-empty components of a relative path.
    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
    }

    /// `parent/name`, or `name` at the top.
    static func child(_ parent: String, _ name: String) -> String {
        let parts = components(parent)
        return (parts + [name]).joined(separator: "/")
    }

    /// Whether bytes are shown as text: no NUL byte and valid UTF-8 (a multi-byte character cut off by
    /// truncation at the end is allowed).
    static func isText(_ data: Data, truncated: Bool) -> Bool {
        if data.contains(0) { return false }
        if String(data: data, encoding: .utf8) != nil { return true }
        guard truncated else { return false }
        for cut in 1...3 where data.count > cut {
            if String(data: data.dropLast(cut), encoding: .utf8) != nil { return true }
        }
        return false
    }

    /// Decodes text bytes, replacing anything invalid.
    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
}

/// The file browser of a workflow's submit directory: `.../w/<wf>/browser?path=` (listing, breadcrumbs, a
/// preview of text files) and `.../w/<wf>/file?path=` (the raw file). Every access goes through
/// ``UserScope/data`` with the submit directory as the root, so `..`, absolute paths and symlinks that leave it
/// are 404 and only symlinks that stay inside are followed.
extension Dashboard {
    /// The largest raw file answered (larger ones are cut, with `X-Pegasus-Truncated: true` and a note).
    static let rawFileLimit = 16 * 1024 * 1024
    /// The preview of a text file on the browser page.
    static let previewLimit = 256 * 1024
    /// At most this many directory entries are listed.
    static let listingLimit = 5000

    /// The workflow of the browser routes and its submit directory.
    private func submitDirectory(_ context: ServiceRequestContext) async throws -> (
        source: WorkflowSource, wf: Int64, label: String, root: String
    ) {
        let wf = try numericParameter("wf_id", context, what: "workflow")
        let source = try await workflowSource(context)
        let row = try await workflowRow(source, id: String(wf), uuid: nil)
        guard let root = row["submit_dir"]?.text, root.hasPrefix("/") else {
            throw ServiceFailure.notFound("Workflow \(wf) has no submit directory")
        }
        return (source, wf, row["dax_label"]?.text ?? "", root)
    }

    /// `.../browser?path=<relative path>`.
    func fileBrowser(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let path = try DashboardParameters(request)["path"] ?? ""
        let (source, wf, label, root) = try await submitDirectory(context)
        let data = source.scope.data
        let body: HTML
        switch try await data.kind(root: root, path: path) {
        case .missing:
            throw ServiceFailure.notFound("No such file or directory in the submit directory: \(path)")
        case .directory:
            let entries = try await data.listDirectory(root: root, path: path)
            body = directoryListing(source.paths, wf: wf, path: path, entries: entries)
        case .file:
            let (bytes, truncated) = try await data.readFile(root: root, path: path, limit: Self.previewLimit)
            body = filePreview(source.paths, wf: wf, path: path, bytes: bytes, truncated: truncated)
        }
        let content: HTML = """
            <nav class="crumbs"><a href="\(source.paths.home)">Workflows</a> / \
            <a href="\(source.paths.workflow(wf))">\(label.isEmpty ? "Workflow" : label)</a> / <span>Files</span></nav>
            <h1>Files of \(label)</h1>
            <p class="path"><code>\(root)</code></p>
            \(breadcrumbs(source.paths, wf: wf, path: path))
            \(body)
            """
        return Layout.htmlResponse(
            Layout.page(title: "Files of \(label)", user: source.user, links: links, content: content))
    }

    /// `.../file?path=<relative path>`: the raw bytes, as plain text or as a download, never as HTML.
    func rawFile(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        guard let path = try DashboardParameters(request)["path"], !path.isEmpty else {
            throw ServiceFailure.badRequest("INVALID_QUERY_ARGUMENT", "A file path is required (path=...)")
        }
        let (source, _, _, root) = try await submitDirectory(context)
        let (bytes, truncated) = try await source.scope.data.readFile(root: root, path: path, limit: Self.rawFileLimit)
        let name = FileBrowserPath.components(path).last ?? "file"
        var headers: HTTPFields = [
            .xContentTypeOptions: "nosniff", .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; sandbox",
        ]
        var body = ByteBuffer(bytes: bytes)
        if FileBrowserPath.isText(bytes, truncated: truncated) {
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.contentDisposition] = "inline; " + Self.dispositionFilename(name)
            if truncated {
                body.writeString("\n\n[pegasus-service: truncated after \(Self.rawFileLimit / 1024 / 1024) MiB]\n")
            }
        } else {
            headers[.contentType] = "application/octet-stream"
            headers[.contentDisposition] = "attachment; " + Self.dispositionFilename(name)
        }
        if truncated { headers[HTTPField.Name("X-Pegasus-Truncated")!] = "true" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// `filename="..."` (ASCII, quotes and controls replaced) and `filename*=UTF-8''...` (RFC 6266).
    static func dispositionFilename(_ name: String) -> String {
        let ascii = String(
            name.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && scalar.value >= 0x20 && scalar != "\"" && scalar != "\\" && scalar.value != 0x7F
                    ? Character(scalar) : "_"
            })
        return "filename=\"\(ascii)\"; filename*=UTF-8''\(QueryString.encode(name))"
    }

    /// Links to the submit directory and each directory of `path`.
    private func breadcrumbs(_ paths: WorkflowPaths, wf: Int64, path: String) -> HTML {
        var crumbs: [HTML] = ["<a href=\"\(paths.browser(wf))\">submit directory</a>"]
        var walked: [String] = []
        let parts = FileBrowserPath.components(path)
        for (index, part) in parts.enumerated() {
            walked.append(part)
            if index == parts.count - 1 {
                crumbs.append("<span>\(part)</span>")
            } else {
                crumbs.append("<a href=\"\(paths.browser(wf, path: walked.joined(separator: "/")))\">\(part)</a>")
            }
        }
        return "<nav class=\"crumbs files\">\(crumbs.joinedHTML(separator: " / "))</nav>"
    }

    private func directoryListing(_ paths: WorkflowPaths, wf: Int64, path: String, entries: [DirectoryEntry])
        -> HTML
    {
        let parts = FileBrowserPath.components(path)
        let up: HTML =
            parts.isEmpty
            ? ""
            : """
            <tr><td><a href="\(paths.browser(wf, path: parts.dropLast().joined(separator: "/")))">..</a></td>\
            <td></td><td></td><td></td></tr>
            """
        let sorted = entries.sorted { ($0.isDirectory ? 0 : 1, $0.name) < ($1.isDirectory ? 0 : 1, $1.name) }
        let rows: [HTML] = sorted.prefix(Self.listingLimit).map { entry in
            let child = FileBrowserPath.child(path, entry.name)
            if entry.isDirectory {
                return """
                    <tr class="dir"><td><a href="\(paths.browser(wf, path: child))">\(entry.name)/</a></td>\
                    <td></td><td>\(DashboardFormat.date(entry.modified))</td><td></td></tr>
                    """
            }
            return """
                <tr class="file"><td><a href="\(paths.browser(wf, path: child))">\(entry.name)</a></td>\
                <td class="num">\(DashboardFormat.size(entry.size))</td><td>\(DashboardFormat.date(entry.modified))</td>\
                <td><a href="\(paths.file(wf, path: child))">raw</a></td></tr>
                """
        }
        let more: HTML =
            entries.count > Self.listingLimit
            ? "<p class=\"notice\">Only the first \(Self.listingLimit) of \(entries.count) entries are listed.</p>"
            : ""
        return """
            <table class="list files"><thead><tr><th>Name</th><th class="num">Size</th><th>Modified</th><th></th></tr>\
            </thead><tbody>\(up)\(rows)</tbody></table>\(more)
            <p>\(entries.count) entries.</p>
            """
    }

    private func filePreview(_ paths: WorkflowPaths, wf: Int64, path: String, bytes: Data, truncated: Bool) -> HTML {
        let raw = paths.file(wf, path: FileBrowserPath.components(path).joined(separator: "/"))
        let links: HTML = "<p class=\"actions\"><a class=\"button\" href=\"\(raw)\">View raw file</a></p>"
        guard FileBrowserPath.isText(bytes, truncated: truncated) else {
            return links + "<p class=\"notice\">Binary file: use the link to download it.</p>"
        }
        let note: HTML =
            truncated
            ? "<p class=\"notice\">Only the first \(Self.previewLimit / 1024) KiB are shown; the raw file has all of it.</p>"
            : ""
        return links + note + "<pre class=\"file\">\(DashboardFormat.visible(FileBrowserPath.text(bytes)))</pre>"
    }
}
