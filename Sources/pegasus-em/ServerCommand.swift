import ArgumentParser
import EnsembleCore
import EnsembleServer
import Foundation
import Logging
import PegasusConfig

/// `pegasus-em server`: runs the ensemble manager (REST API, scheduler, trigger engine) until SIGTERM/SIGINT.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Start ensemble manager",
        discussion: """
            Serves the REST API on EM_HOST:EM_PORT (default 127.0.0.1:7919 + uid % 57616) with the store \
            EM_DATABASE (default ~/.pegasus/em.db). Refuses to run as root unless EM_ALLOW_ROOT = True.
            """)

    @Flag(name: .shortAndLong, help: "Enable debugging (debug logging)")
    var debug = false

    @Flag(name: .shortAndLong, help: "Increase logging verbosity (-v info, -vv debug)")
    var verbose: Int

    func run() async throws {
        let config: PegasusConfiguration
        do {
            config = try PegasusConfiguration.load()
        } catch {
            Self.fail("configuration error: \(error)")
        }
        let level: Logger.Level = debug || verbose >= 2 ? .debug : verbose == 1 ? .info : .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "pegasus-em")
        do {
            try await EnsembleServerRunner(configuration: config, logger: logger).run()
        } catch let error as EMError {
            Self.fail(error.message)
        } catch let error as ConfigurationError {
            Self.fail("configuration error: \(error)")
        } catch {
            Self.fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("pegasus-em server: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
