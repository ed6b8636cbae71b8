import Foundation
import PegasusConfig
import Testing

/// The version the binaries print is the repository's `VERSION` file (the package's one version source).
struct VersionTests {
    @Test("the Swift constant is the VERSION file")
    func constantMatchesVersionFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("VERSION"), encoding: .utf8)
        #expect(file.trimmingCharacters(in: .whitespacesAndNewlines) == pegasusEMVersion)
    }

    @Test("the version is a Debian upstream version")
    func versionIsDebianUpstreamVersion() {
        // dpkg accepts an upstream version that starts with a digit and holds only these characters.
        #expect(pegasusEMVersion.first?.isNumber == true)
        #expect(pegasusEMVersion.allSatisfy { $0.isLetter || $0.isNumber || ".+~".contains($0) })
    }
}
