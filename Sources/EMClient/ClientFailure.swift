/// Why a client command failed after parsing; ``EnsembleManagerCLI`` prints it and exits 1.
public enum ClientFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered non-2xx; printed as `ERROR: <message>` on stdout, exactly like Pegasus.
    case server(status: Int, message: String)
    /// The server asked for credentials (401) and none are configured.
    case loginRequired
    /// No connection could be made to the ensemble manager.
    case unreachable(url: String, reason: String)
    /// The connection broke or timed out after it was made.
    case transport(url: String, reason: String)
    /// The server answered 2xx with a body the client cannot read.
    case badResponse(url: String, reason: String)
    /// The configuration files could not be read.
    case configuration(String)

    /// The one line printed for this failure.
    public var description: String {
        switch self {
        case .server(_, let message):
            "ERROR: \(message)"
        case .loginRequired:
            "ERROR: the ensemble manager requires a login: set USERNAME and PASSWORD in ~/.pegasus/service.py"
        case .unreachable(let url, let reason):
            "ERROR: cannot connect to the ensemble manager at \(url) (\(reason)); "
                + "is it running? Start it with `pegasus-em server`"
        case .transport(let url, let reason):
            "ERROR: lost the connection to the ensemble manager at \(url): \(reason)"
        case .badResponse(let url, let reason):
            "ERROR: unexpected response from the ensemble manager at \(url): \(reason)"
        case .configuration(let reason):
            "ERROR: \(reason)"
        }
    }

    /// Whether the line goes to stdout (server-reported, as Pegasus does) rather than stderr (client-side).
    public var printsToStandardOutput: Bool {
        switch self {
        case .server, .loginRequired: true
        case .unreachable, .transport, .badResponse, .configuration: false
        }
    }
}
