import Foundation
import Hummingbird

/// The frame of every dashboard page: head, navigation, content.
public enum Layout {
    /// A complete HTML document.
    /// - Parameters:
    ///   - refresh: seconds after which the page reloads itself (while something is active), nil for never.
    public static func page(
        title: String, user: String?, links: ServiceLinks, refresh: Int? = nil, content: HTML
    ) -> HTML {
        let navigation: HTML =
            if let user {
                """
                <nav><a href="\(links.user(user))">Workflows</a> \
                <a href="\(links.path("/u/\(ServiceLinks.segment(user))/ensembles"))">Ensembles</a> \
                <a href="\(links.path("/u/\(ServiceLinks.segment(user))/triggers"))">Triggers</a> \
                <a href="\(links.path("/u/\(ServiceLinks.segment(user))/info"))">About</a> \
                <span class="who">\(user)</span></nav>
                """
            } else {
                ""
            }
        let reload: HTML = refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? ""
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            \(reload)<title>\(title) - Pegasus</title>
            <link rel="stylesheet" href="\(links.path("/static/dashboard.css"))">
            </head><body>
            <header><a class="brand" href="\(links.path("/"))">Pegasus</a>\(navigation)</header>
            <main>
            \(content)
            </main>
            </body></html>
            """
    }

    /// An error page with a real status code (Pegasus answered its error pages with 200).
    public static func errorResponse(_ failure: ServiceFailure, user: String?, links: ServiceLinks) -> Response {
        let body = page(
            title: "\(failure.status.code) \(failure.status.reasonPhrase)", user: user, links: links,
            content: """
                <h1>\(failure.status.reasonPhrase)</h1>
                <p class="error">\(failure.message)</p>
                """)
        var response = htmlResponse(body, status: failure.status)
        for field in failure.headers { response.headers.append(field) }
        return response
    }

    /// An HTML response.
    public static func htmlResponse(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html.raw)))
    }

    /// The style sheet (served at `/static/dashboard.css`).
    public static let styleSheet = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
        header{background:#263238;color:#fff;padding:.6em 1em;display:flex;gap:1.5em;align-items:center}
        header a{color:#fff;text-decoration:none}.brand{font-weight:bold}nav{display:flex;gap:1em;flex:1}
        nav .who{margin-left:auto;opacity:.8}main{padding:1em 1.5em}
        table{border-collapse:collapse;width:100%;background:#fff;margin:.5em 0 1.5em}
        th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.92em}
        th{background:#eceff1}td.num,th.num{text-align:right}
        .error{color:#b71c1c}.state-Running,.state-RUNNING,.state-PLANNING{color:#1565c0}
        .state-Successful,.state-SUCCESSFUL{color:#2e7d32}
        .state-Failed,.state-FAILED,.state-PLAN_FAILED,.state-RUN_FAILED{color:#b71c1c}
        .state-PAUSED,.state-HELD{color:#e65100;font-weight:bold}
        .counters{display:flex;gap:1em}.counter{background:#fff;border:1px solid #ddd;padding:.5em 1em}
        .counter b{font-size:1.4em;display:block}pre{background:#fff;border:1px solid #ddd;padding:.5em;
        overflow:auto;white-space:pre-wrap}form.filters{display:flex;gap:.5em;margin:.5em 0}
        .pager{display:flex;gap:1em}svg{background:#fff;border:1px solid #ddd;max-width:100%;height:auto}
        main nav{flex:none;margin:.5em 0;flex-wrap:wrap}main nav a{color:#1565c0}
        nav.tabs{gap:0;border-bottom:2px solid #ddd}nav.tabs a{padding:.4em .9em;text-decoration:none}
        nav.tabs a.current{border:2px solid #ddd;border-bottom-color:#fafafa;margin-bottom:-2px;font-weight:bold;
        color:#222}table.details th{width:25%}tr.current td{background:#e3f2fd}
        .notice{background:#fffde7;border:1px solid #ffe082;padding:.5em 1em}h1 small{font-size:.55em;color:#607d8b;
        font-weight:normal}a.button{display:inline-block;padding:.3em .9em;border:1px solid #90a4ae;border-radius:3px;
        background:#fff;color:#263238;text-decoration:none}pre.output,pre.file{max-height:80vh}
        """
}
