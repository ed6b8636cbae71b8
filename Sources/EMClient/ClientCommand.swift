import ArgumentParser
import PegasusConfig

#if canImport(Glibc)
    import Glibc
#endif

/// Everything a client command needs to talk to the server and print: injected, so tests can run commands
/// against a fake transport with a fixed time zone.
public final class Session {
    /// The REST API.
    public let api: EnsembleManagerAPI
    /// Renders tables and blocks.
    public let formatter: OutputFormatter
    /// The client's current directory (`basedir` of submissions and triggers).
    public let workingDirectory: String
    /// `PATH`, for resolving the plan command.
    public let searchPath: String?
    /// What the command printed to stdout so far; written in one go when the command ends.
    public private(set) var output = ""

    /// Creates a session.
    public init(api: EnsembleManagerAPI, formatter: OutputFormatter, workingDirectory: String, searchPath: String?) {
        self.api = api
        self.formatter = formatter
        self.workingDirectory = workingDirectory
        self.searchPath = searchPath
    }

    /// Appends text to stdout.
    public func write(_ text: String) {
        output += text
    }

    /// Appends a server reply's body unchanged, with a final newline (`--json`).
    func writeJSON(_ reply: EnsembleManagerAPI.Reply) {
        var text = reply.text
        if !text.hasSuffix("\n") { text += "\n" }
        output += text
    }
}

/// A subcommand that talks to the ensemble manager.
///
/// Parsing and validation (ArgumentParser) never read the configuration, so `pegasus-em create -h` works without
/// one; ``perform(_:)`` runs with a ``Session`` built from the configuration only when the command runs.
public protocol ClientCommand: AsyncParsableCommand {
    /// Sends the command's requests and writes its output to the session.
    func perform(_ session: Session) async throws(ClientFailure)
}

extension ClientCommand {
    public mutating func run() async throws {
        try await ClientRuntime.run(self)
    }
}

/// Builds the live session (configuration, AsyncHTTPClient transport) around a command and prints its output.
enum ClientRuntime {
    static func run(_ command: some ClientCommand) async throws(ClientFailure) {
        let configuration: PegasusConfiguration
        let port: Int
        do {
            configuration = try PegasusConfiguration.load()
            port = try configuration.emPort()
        } catch {
            throw ClientFailure.configuration(error.description)
        }
        if let warning = configuration.passwordFileWarning() {
            StandardStream.error.write("WARNING: \(warning)\n")
        }
        let transport = HTTPTransport(host: configuration.emHost, port: port)
        let credentials = configuration.credentials.map {
            EnsembleManagerAPI.Credentials(username: $0.username, password: $0.password)
        }
        let session = Session(
            api: EnsembleManagerAPI(transport: transport, credentials: credentials),
            formatter: OutputFormatter(),
            workingDirectory: currentDirectory(),
            searchPath: getenv("PATH").map { String(cString: $0) }
        )
        var failure: ClientFailure?
        do {
            try await command.perform(session)
        } catch {
            failure = error
        }
        await transport.shutdown()
        StandardStream.output.write(session.output)
        if let failure { throw failure }
    }

    /// `os.getcwd()`: the physical current directory.
    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Unbuffered writes to stdout/stderr (`print` buffers, and `stdout` is not concurrency-safe in Swift 6).
public struct StandardStream: Sendable {
    let descriptor: Int32

    /// File descriptor 1.
    public static let output = StandardStream(descriptor: 1)
    /// File descriptor 2.
    public static let error = StandardStream(descriptor: 2)

    /// Writes all of `text`, retrying short writes and EINTR.
    public func write(_ text: String) {
        guard !text.isEmpty else { return }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}

/// `--json` for every command that prints data.
public struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the server's JSON answer unchanged instead of text.")
    public var json = false

    public init() {}
}
