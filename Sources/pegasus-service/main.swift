import ArgumentParser
import Foundation
import Logging
import PegasusConfig
import PegasusService

#if canImport(Glibc)
    import Glibc
#endif

/// `pegasus-service`: the multi-user HTTPS service (dashboard and monitoring API).
struct PegasusServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pegasus-service",
        abstract: "Start the Pegasus service (dashboard and monitoring API over HTTPS)",
        discussion: """
            Listens on SERVER_HOST:SERVER_PORT from ~/.pegasus/service.py (default localhost:5000); --host and \
            --port override them. Serves HTTPS with CERTIFICATE/PRIVATE_KEY, or with a self-signed certificate \
            generated once and kept in ~/.pegasus. See docs/deployment.md.
            """,
        version: pegasusEMVersion,
        subcommands: [UserReaderCommand.self])

    @Option(help: "The host name or address to listen on (default: SERVER_HOST, then localhost)")
    var host: String?

    @Option(name: .shortAndLong, help: "The port to listen on (default: SERVER_PORT, then 5000)")
    var port: Int?

    @Flag(inversion: .prefixedNo, help: "Debug logging (never a debugger)")
    var debug = false

    @Flag(name: .shortAndLong, help: "Increase logging verbosity (-v info, -vv debug)")
    var verbose: Int

    func validate() throws {
        if let port, !(0...65535).contains(port) {
            throw ValidationError("--port must be 0...65535, got \(port)")
        }
    }

    func run() async throws {
        let level: Logger.Level = debug || verbose >= 2 ? .debug : verbose == 1 ? .info : .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "pegasus-service")
        do {
            let configuration = try PegasusConfiguration.load()
            let settings = try ServiceSettings(configuration: configuration, host: host, port: port)
            try await PegasusServiceRunner(
                settings: settings, logger: logger, readerExecutable: Self.executablePath()
            ).run()
        } catch {
            FileHandle.standardError.write(Data("pegasus-service: \(Self.describe(error))\n".utf8))
            Foundation.exit(1)
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as ConfigurationError: "configuration error: \(error)"
        case let error as any CustomStringConvertible: error.description
        default: "\(error)"
        }
    }

    /// This executable, for starting reader helpers.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// `pegasus-service user-reader`: the helper that reads one user's files as that user (PROCESS_SWITCHING).
/// Started by the service itself; it talks over its standard input and output.
struct UserReaderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user-reader", abstract: "Internal: read one user's files as that user", shouldDisplay: false)

    @Option var user: String
    @Option var uid: UInt32
    @Option var gid: UInt32

    func run() throws {
        Foundation.exit(ReaderHelper.serve(user: user, uid: uid, gid: gid))
    }
}

/// Parses and runs; usage errors exit with status 2 (as `pegasus-em` does), help with 0.
func runPegasusService() async {
    do {
        var command = try PegasusServiceCommand.parseAsRoot()
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
    } catch {
        let code = PegasusServiceCommand.exitCode(for: error)
        let message = PegasusServiceCommand.fullMessage(for: error)
        if code == .success {
            print(message)
            Foundation.exit(0)
        }
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
        Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
    }
}

// The reader helper drops its privileges before the process has any other thread, so that no thread can keep
// root; it then serves synchronously on the main thread.
if CommandLine.arguments.dropFirst().first == "user-reader" {
    do {
        let helper = try UserReaderCommand.parse(Array(CommandLine.arguments.dropFirst(2)))
        Foundation.exit(ReaderHelper.serve(user: helper.user, uid: helper.uid, gid: helper.gid))
    } catch {
        UserReaderCommand.exit(withError: error)
    }
}
await runPegasusService()
