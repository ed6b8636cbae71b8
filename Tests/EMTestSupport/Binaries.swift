import Foundation

/// Locates the executables built by this package (beside the test bundle) and the repository's files.
public enum Binaries {
    /// The products directory: where `swift build` put the executables the tests run.
    public static var productsDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["PEGASUS_EM_PRODUCTS"] {
            return URL(fileURLWithPath: override)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // The test runner may be inside an `.xctest` bundle directory.
        while url.pathExtension == "xctest" || url.lastPathComponent == "Contents" || url.lastPathComponent == "MacOS" {
            url.deleteLastPathComponent()
        }
        return url
    }

    /// The path of a built executable, e.g. `pegasus-em`.
    public static func path(_ name: String) -> String {
        productsDirectory.appendingPathComponent(name).path
    }

    /// The repository root (where Package.swift is).
    public static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// The Pegasus simulator's `bin` directory (stand-ins for pegasus-plan, pegasus-run, ...).
    public static var simulatorBin: String {
        repositoryRoot.appendingPathComponent("tools/pegasus-standins/bin").path
    }
}
