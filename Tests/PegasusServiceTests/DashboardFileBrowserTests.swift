import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// The file browser: listings, previews, raw files, confinement to the submit directory; URL prefixes.
@Suite struct DashboardFileBrowserTests {
    /// Text of /etc/passwd that must never appear.
    static let passwdMarker = "root:x:0:0"

    @Test func listsTheSubmitDirectory() async throws {
        let fixture = try DashboardFixture.load()
        let small = try DashboardClient.workflow(fixture, "small")
        let page = try await DashboardClient.get(small + "/browser", home: fixture.home)
        #expect(page.status == .ok)
        let names = try FileManager.default.contentsOfDirectory(atPath: try fixture.submitDir("small"))
        for name in names {
            #expect(
                page.body.contains(">\(HTML.escape(name))</a>") || page.body.contains(">\(HTML.escape(name))/</a>"),
                "\(name)")
        }
        #expect(page.body.contains("\(names.count) entries."))
        #expect(page.urls.contains(small + "/browser?path=braindump.yml"))
        #expect(page.urls.contains(small + "/file?path=braindump.yml"))
        #expect(page.urls.contains(small + "/browser?path=00"))
        // A subdirectory has breadcrumbs and a link up.
        let sub = try await DashboardClient.get(small + "/browser?path=00/00", home: fixture.home)
        #expect(sub.status == .ok)
        #expect(sub.urls.contains(small + "/browser?path=00"))
        #expect(sub.urls.contains(small + "/browser"))
        let files = try FileManager.default.contentsOfDirectory(atPath: try fixture.submitDir("small") + "/00/00")
        #expect(sub.body.contains("\(files.count) entries."))
    }

    @Test func previewsAndRawFiles() async throws {
        let fixture = try DashboardFixture.load()
        let small = try DashboardClient.workflow(fixture, "small")
        let braindump = try String(contentsOfFile: try fixture.submitDir("small") + "/braindump.yml", encoding: .utf8)
        let pages = try await DashboardClient.get(
            [
                small + "/browser?path=braindump.yml", small + "/file?path=braindump.yml",
                small + "/file?path=small-0.stampede.db", small + "/file", small + "/file?path=00",
                small + "/browser?path=no-such-file",
            ], home: fixture.home)
        #expect(pages[0].status == .ok)
        #expect(pages[0].body.contains(HTML.escape(braindump)))
        #expect(pages[0].urls.contains(small + "/file?path=braindump.yml"))
        let raw = pages[1]
        #expect(raw.status == .ok)
        #expect(raw.headers[.contentType] == "text/plain; charset=utf-8")
        #expect(raw.headers[.xContentTypeOptions] == "nosniff")
        #expect(raw.body == braindump)
        let binary = pages[2]
        #expect(binary.status == .ok)
        #expect(binary.headers[.contentType] == "application/octet-stream")
        #expect(binary.headers[.xContentTypeOptions] == "nosniff")
        #expect(binary.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"small-0.stampede.db\"") == true)
        let size = try #require(
            try FileManager.default.attributesOfItem(atPath: try fixture.submitDir("small") + "/small-0.stampede.db")[
                .size] as? Int)
        #expect(binary.bytes.count == size)
        #expect(binary.bytes.starts(with: Array("SQLite format 3".utf8)))
        #expect(pages[3].status == .badRequest)
        #expect(pages[4].status == .notFound)  // a directory is not a file
        #expect(pages[5].status == .notFound)
    }

    @Test func largeFilesAreCutAt16MiB() async throws {
        let fixture = try DashboardFixture.load()
        let large = try DashboardClient.workflow(fixture, "large")
        let dag = try fixture.submitDir("large") + "/large-0.dag"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dag)[.size] as? Int)
        try #require(size > Dashboard.rawFileLimit)
        let pages = try await DashboardClient.get(
            [large + "/file?path=large-0.dag", large + "/browser?path=large-0.dag"], home: fixture.home)
        let raw = pages[0]
        #expect(raw.status == .ok)
        #expect(raw.headers[.contentType] == "text/plain; charset=utf-8")
        #expect(raw.headers[HTTPField.Name("X-Pegasus-Truncated")!] == "true")
        #expect(raw.bytes.count > Dashboard.rawFileLimit && raw.bytes.count < Dashboard.rawFileLimit + 200)
        #expect(raw.body.hasSuffix("[pegasus-service: truncated after 16 MiB]\n"))
        #expect(pages[1].status == .ok)
        #expect(pages[1].body.contains("Only the first 256 KiB are shown"))
        #expect(pages[1].bytes.count < 2 * Dashboard.previewLimit)
    }

    @Test func escapesAreNotFound() async throws {
        let fixture = try DashboardFixture.load()
        let hostile = try DashboardClient.workflow(fixture, "hostile")
        let escapes = [
            "../..", "..", "../../../../../../etc/passwd", "/etc/passwd", "/etc", "escape-dir", "escape-file",
            "escape-dir/passwd", "up", "up/..", "up/hostile/run0001/braindump.yml", "%2e%2e%2f",
            "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "inner/../..", "inner/../escape-file", "%2Fetc%2Fpasswd",
        ]
        var paths: [String] = []
        for escape in escapes {
            let query = escape.contains("%") ? escape : DashboardClient.encode(escape)
            paths.append(hostile + "/browser?path=" + query)
            paths.append(hostile + "/file?path=" + query)
        }
        let pages = try await DashboardClient.get(paths, home: fixture.home)
        for (path, page) in zip(paths, pages) {
            #expect(page.status == .notFound, "\(path)")
            #expect(!page.body.contains(Self.passwdMarker), "\(path)")
        }
        // The listing shows neither the escaping links nor anything of their targets.
        let listing = try await DashboardClient.get(hostile + "/browser", home: fixture.home)
        #expect(listing.status == .ok)
        #expect(!listing.body.contains(">escape-dir"))
        #expect(!listing.body.contains(">escape-file"))
        #expect(!listing.body.contains(">up/"))
        #expect(listing.body.contains(">inner/</a>"))
        // The HTML file name is escaped, in the text and in the link.
        #expect(!listing.body.contains("<img src=x"))
        #expect(listing.body.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;.txt"))
        #expect(listing.urls.contains(hostile + "/file?path=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E.txt"))
    }

    @Test func symlinksInsideTheSubmitDirectoryWork() async throws {
        let fixture = try DashboardFixture.load()
        let hostile = try DashboardClient.workflow(fixture, "hostile")
        let braindump = try String(contentsOfFile: try fixture.submitDir("hostile") + "/braindump.yml", encoding: .utf8)
        let pages = try await DashboardClient.get(
            [
                hostile + "/browser?path=inner", hostile + "/browser?path=inner/ok-link",
                hostile + "/file?path=inner/ok-link", hostile + "/file?path=inner/../braindump.yml",
                hostile + "/file?path=" + DashboardClient.encode("\"><img src=x onerror=alert(2)>.txt"),
            ], home: fixture.home)
        #expect(pages[0].status == .ok)
        #expect(pages[0].body.contains(">ok-link</a>"))
        #expect(pages[0].body.contains(">notes.txt</a>"))
        #expect(pages[1].status == .ok)
        #expect(pages[1].body.contains(HTML.escape(braindump)))
        #expect(pages[2].status == .ok)
        #expect(pages[2].body == braindump)
        #expect(pages[3].body == braindump)
        #expect(pages[4].status == .ok)
        #expect(pages[4].body == "file with HTML in its name\n")
        #expect(pages[4].headers[.contentDisposition]?.contains("filename*=UTF-8''%22%3E%3Cimg") == true)
    }

    @Test func jobFileLinksOpen() async throws {
        let fixture = try DashboardFixture.load()
        let medium = try DashboardClient.workflow(fixture, "medium")
        let failed = try await DashboardClient.get(medium + "?tab=failed", home: fixture.home)
        let job = try #require(DashboardJobPagesTests.jobLinks(failed).first)
        let page = try await DashboardClient.get(job, home: fixture.home)
        let files = page.urls.filter { $0.contains("/browser?path=") }
        #expect(files.count == 3)
        let written = try #require(try fixture.workflow("medium")["job_files_written"] as? [String])
        let label = try #require(page.body.firstMatch(of: /<strong>([^<]*)<\/strong>/)).output.1
        let opened = try await DashboardClient.get(files, home: fixture.home)
        for (url, response) in zip(files, opened) {
            // Only some jobs have files on disk (job_files_written); theirs open, the others are 404.
            #expect(response.status == (written.contains(String(label)) ? .ok : .notFound), "\(url)")
        }
    }

    @Test func everyLinkCarriesTheURLPrefix() async throws {
        let fixture = try DashboardFixture.load()
        let prefix = "/pegasus/dash"
        let medium = prefix + (try DashboardClient.workflow(fixture, "medium"))
        let hostile = prefix + (try DashboardClient.workflow(fixture, "hostile"))
        let failed = try await DashboardClient.get(medium + "?tab=failed", home: fixture.home, prefix: prefix)
        let job = try #require(DashboardJobPagesTests.jobLinks(failed).first)
        let jobPage = try await DashboardClient.get(job, home: fixture.home, prefix: prefix)
        let invocation = try #require(jobPage.urls.first { $0.contains("/i/") })
        let paths = [
            prefix + "/u/monitor/", prefix + "/u/monitor/?q=m&sort=label&size=2&page=2", medium,
            medium + "?tab=successful",
            job, invocation, job + "/stdout", hostile + "/browser", hostile + "/browser?path=inner",
            hostile + "/browser?path=inner/notes.txt", prefix + "/u/monitor/r/\(try fixture.masterID("missing-db"))/w",
            medium + "?tab=nope",
        ]
        let pages = try await DashboardClient.get(paths, home: fixture.home, prefix: prefix)
        for (path, page) in zip(paths, pages) {
            #expect(page.status == .ok || path.hasSuffix("/w") || path.hasSuffix("nope"), "\(path)")
            #expect(!page.urls.isEmpty)
            for url in page.urls { #expect(url.hasPrefix(prefix + "/"), "\(url) on \(path)") }
        }
        // Without the prefix nothing is served.
        let outside = try await DashboardClient.get(
            try DashboardClient.workflow(fixture, "medium"), home: fixture.home, prefix: prefix)
        #expect(outside.status == .notFound)
    }
}
