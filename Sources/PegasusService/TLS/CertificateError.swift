/// Why the certificate cannot be served; the message names the setting and file involved.
public struct CertificateError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(_ message: String) {
        self.message = message
    }
}
