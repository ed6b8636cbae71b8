import Crypto
import Foundation
import Logging
import NIOSSL
import SwiftASN1
import X509

/// The TLS certificate and key `pegasus-service` serves. It always serves HTTPS.
///
/// With `CERTIFICATE` and `PRIVATE_KEY` (paths to PEM files) both set, that pair is served as is. Otherwise a
/// self-signed certificate is generated on first start and kept in the certificate directory (normally
/// `~/.pegasus`) as `service-cert.pem` (0644) and `service-key.pem` (0600); later starts reuse it as long as it is
/// intact, matches its key, covers the host name and stays valid for more than 30 days, and regenerate it (logging
/// why) otherwise. Clients trust the generated certificate directly (`curl --cacert`, AHC `additionalTrustRoots`).
///
/// The generated certificate is its own trust root, so it uses the profile every client accepts as one: P-256,
/// BasicConstraints CA:TRUE pathlen 0 (critical), KeyUsage digitalSignature + keyCertSign (critical), EKU serverAuth,
/// SAN DNS:<host>, DNS:localhost, IP:127.0.0.1, IP:::1, subject CN = <host>. BoringSSL (AHC) rejects a CA:FALSE leaf
/// as a trust root. Validity: notBefore = now − 1 hour (tolerates small clock differences between client and
/// server), notAfter = now + 10 years; it is replaced automatically within 30 days of expiry.
///
/// The pair is read once; ``serverTLSConfiguration()`` serves the in-memory copy, so the key and certificate served
/// always belong together even if the files change afterwards.
public struct ServiceCertificate: Sendable {
    public enum Origin: Sendable, Equatable {
        /// `CERTIFICATE` and `PRIVATE_KEY` were set.
        case configured
        /// Generated during this start (first start, or the stored one was unusable).
        case generated
        /// A previously generated pair, reused.
        case reused
    }

    public let certificatePath: String
    public let privateKeyPath: String
    public let origin: Origin
    /// The SHA-256 of the leaf certificate's DER, uppercase hex pairs joined by `:` (as `openssl x509 -fingerprint`).
    public let fingerprint: String
    /// The certificate chain, leaf first, as PEM.
    public let certificatePEM: String
    /// The private key as PEM (served from memory, never logged).
    let privateKeyPEM: String
    /// The parsed leaf certificate.
    let leaf: Certificate

    /// The file name of the generated certificate in the certificate directory.
    static let certificateFileName = "service-cert.pem"
    /// The file name of the generated private key in the certificate directory.
    static let privateKeyFileName = "service-key.pem"
    /// Serializes generation between processes sharing the directory.
    static let lockFileName = "service-cert.lock"
    /// A stored certificate expiring within this many seconds is replaced.
    static let renewalMargin: TimeInterval = 30 * 86400
    /// How far notBefore lies in the past.
    static let backdating: TimeInterval = 3600
    /// The lifetime of a generated certificate in years.
    static let lifetimeYears = 10
    /// The largest PEM file read.
    static let maximumFileSize = 1 << 20

    /// Loads the configured pair, or reuses/creates the generated one in `directory` (normally ~/.pegasus).
    /// - Parameters:
    ///   - certificate: `CERTIFICATE`, a PEM file with the certificate (optionally followed by its chain). Empty
    ///     counts as unset.
    ///   - privateKey: `PRIVATE_KEY`, a PEM file with the unencrypted private key. Empty counts as unset.
    ///   - directory: where the generated pair is kept; created with mode 0700 if missing.
    ///   - hostName: the host name clients use (`SERVER_HOST`); a wildcard address (`0.0.0.0`, `::`, empty) means
    ///     this machine's name.
    public static func load(
        certificate: String?, privateKey: String?, directory: String, hostName: String, logger: Logger
    ) throws(CertificateError) -> ServiceCertificate {
        let certificate = certificate.flatMap { $0.isEmpty ? nil : $0 }
        let privateKey = privateKey.flatMap { $0.isEmpty ? nil : $0 }
        switch (certificate, privateKey) {
        case (let certificate?, let privateKey?):
            let loaded = try loadConfigured(certificate: certificate, privateKey: privateKey)
            loaded.warnAboutConfigured(host: try? CertificateHost(hostName), logger: logger)
            logger.info(
                "Serving the configured TLS certificate",
                metadata: ["path": "\(certificate)", "sha256": "\(loaded.fingerprint)"])
            return loaded
        case (let certificate?, nil):
            throw CertificateError(
                "CERTIFICATE is set (\(certificate)) but PRIVATE_KEY is not: set both to PEM files, or neither to "
                    + "use a generated self-signed certificate")
        case (nil, let privateKey?):
            throw CertificateError(
                "PRIVATE_KEY is set (\(privateKey)) but CERTIFICATE is not: set both to PEM files, or neither to "
                    + "use a generated self-signed certificate")
        case (nil, nil):
            return try loadGenerated(directory: directory, host: try CertificateHost(hostName), logger: logger)
        }
    }

    /// The NIOSSL server configuration for this pair.
    public func serverTLSConfiguration() throws(CertificateError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))
        } catch {
            throw CertificateError("the TLS library rejects the certificate \(certificatePath): \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        } catch {
            throw CertificateError("the TLS library rejects the private key \(privateKeyPath): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    init(
        certificatePath: String, privateKeyPath: String, origin: Origin, chain: [[UInt8]], leaf: Certificate,
        privateKeyPEM: String
    ) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.origin = origin
        self.fingerprint = Self.fingerprint(der: chain[0])
        self.certificatePEM =
            chain.map { PEMDocument(type: "CERTIFICATE", derBytes: $0).pemString }.joined(separator: "\n") + "\n"
        self.privateKeyPEM = privateKeyPEM
        self.leaf = leaf
    }

    /// SHA-256 of the DER, uppercase hex pairs joined by `:`.
    static func fingerprint(der: [UInt8]) -> String {
        SHA256.hash(data: der).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }
}
