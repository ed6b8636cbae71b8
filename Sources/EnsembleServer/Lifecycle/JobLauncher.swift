import EnsembleCore
import Foundation
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Starts detached jobs: `/bin/sh` with a constant script (never a string built from user input) receives the
/// result file, the log, the working directory and the argv as positional parameters, backgrounds a subshell that
/// runs the argv with output appended to the log and then writes the exit status atomically, prints that
/// subshell's pid and exits. The job lives in a new session, so it survives the server and can be killed as a
/// process group.
public struct JobLauncher: Sendable {
    /// The environment jobs run with: the server's, PATH prefixed by `$PEGASUS_HOME/bin` and `$CONDOR_HOME/bin`.
    public let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// The server's environment with the Pegasus and HTCondor bin directories first on PATH.
    public static func environment(base: [String: String], pegasusHome: String?, condorHome: String?) -> [String:
        String]
    {
        var env = base
        var path = env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for home in [condorHome, pegasusHome].compactMap({ $0 }) where !home.isEmpty {
            path = home + "/bin:" + path
        }
        env["PATH"] = path
        return env
    }

    /// A string dictionary as swift-subprocess' environment (shared with the `analyze` runner).
    static func subprocessEnvironment(_ environment: [String: String]) -> Environment {
        .custom(
            Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
    }

    static let script = """
        result=$1; log=$2; dir=$3; shift 3
        rm -f -- "$result" "$result.tmp"
        cd -- "$dir" || exit 3
        ( trap '' HUP
          "$@" </dev/null >>"$log" 2>&1
          s=$?
          echo "$s" >"$result.tmp" && mv -f -- "$result.tmp" "$result" ) &
        echo "$!"
        """

    /// Starts `argv` in `directory`, appending its output to `log`; its exit status will appear in `resultFile`.
    public func launch(kind: JobHandle.Kind, argv: [String], directory: String, log: String, resultFile: String)
        async throws(EMError) -> JobHandle
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EMError(.invalid, "the base directory \(directory) does not exist")
        }
        let logDirectory = (log as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: logDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw EMError(.internalError, "cannot create \(logDirectory): \(error.localizedDescription)")
        }
        if !FileManager.default.fileExists(atPath: log) {
            _ = FileManager.default.createFile(atPath: log, contents: nil, attributes: [.posixPermissions: 0o644])
        }
        let offset = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? NSNumber)?.int64Value ?? 0
        var options = PlatformOptions()
        options.createSession = true
        let env = Self.subprocessEnvironment(environment)
        let started = Date().timeIntervalSince1970
        let result: ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>
        do {
            result = try await Subprocess.run(
                .path("/bin/sh"), arguments: Arguments(["-c", Self.script, "sh", resultFile, log, directory] + argv),
                environment: env, platformOptions: options, output: .string(limit: 4096),
                error: .string(limit: 4096))
        } catch {
            throw EMError(.internalError, "cannot start \(argv.first ?? "?"): \(error)")
        }
        guard case .exited(0) = result.terminationStatus,
            let pid = Int32(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            let detail = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw EMError(
                .internalError,
                "cannot start \(argv.first ?? "?") in \(directory)\(detail.isEmpty ? "" : ": " + detail)")
        }
        return JobHandle(
            kind: kind, pid: pid, startTicks: JobHandle.startTicks(of: pid),
            processGroup: result.processIdentifier.value,
            logOffset: offset, startedAt: started)
    }
}
