import Crypto
import Foundation
import Logging
import NIOSSL
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#endif

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

    // MARK: - Configured pair

    static func loadConfigured(certificate: String, privateKey: String) throws(CertificateError) -> ServiceCertificate {
        let chain = try parseCertificateFile(certificate, role: "CERTIFICATE")
        let key = try parsePrivateKeyFile(privateKey, role: "PRIVATE_KEY")
        guard key.key.publicKey == chain[0].certificate.publicKey else {
            throw CertificateError(
                "PRIVATE_KEY \(privateKey) does not match the certificate in CERTIFICATE \(certificate)")
        }
        let loaded = ServiceCertificate(
            certificatePath: certificate, privateKeyPath: privateKey, origin: .configured,
            chain: chain.map(\.der), leaf: chain[0].certificate, privateKeyPEM: key.pem)
        // The library that serves the pair gets the last word (it checks the key against the certificate too).
        do {
            _ = try NIOSSLContext(configuration: try loaded.serverTLSConfiguration())
        } catch {
            throw CertificateError(
                "CERTIFICATE \(certificate) / PRIVATE_KEY \(privateKey): the TLS library rejects the pair: \(error)")
        }
        return loaded
    }

    /// Warnings only: the operator chose this certificate.
    func warnAboutConfigured(host: CertificateHost?, logger: Logger) {
        let now = Date()
        if leaf.notValidAfter < now {
            logger.warning(
                "The configured TLS certificate has expired",
                metadata: ["path": "\(certificatePath)", "notAfter": "\(leaf.notValidAfter)"])
        } else if leaf.notValidAfter < now.addingTimeInterval(Self.renewalMargin) {
            logger.warning(
                "The configured TLS certificate expires soon",
                metadata: ["path": "\(certificatePath)", "notAfter": "\(leaf.notValidAfter)"])
        }
        if let host, !host.isCovered(by: leaf) {
            logger.warning(
                "The configured TLS certificate does not name the server host; clients may reject it",
                metadata: ["path": "\(certificatePath)", "host": "\(host.name)"])
        }
    }

    // MARK: - Generated pair

    static func loadGenerated(
        directory: String, host: CertificateHost, logger: Logger
    ) throws(CertificateError) -> ServiceCertificate {
        try createDirectoryIfMissing(directory)
        // Best effort: a read-only directory with a valid pair still works without the lock.
        let lock = DirectoryLock(path: directory + "/" + lockFileName)
        defer { lock?.release() }

        let certificatePath = directory + "/" + certificateFileName
        let privateKeyPath = directory + "/" + privateKeyFileName
        let reason: String
        switch storedPair(certificatePath: certificatePath, privateKeyPath: privateKeyPath, host: host, now: Date()) {
        case .success(let stored):
            logger.info(
                "Reusing the self-signed TLS certificate",
                metadata: [
                    "path": "\(certificatePath)", "sha256": "\(stored.fingerprint)",
                    "notAfter": "\(stored.leaf.notValidAfter)",
                ])
            return stored
        case .failure(let failure):
            reason = failure.reason
            if failure.missing {
                logger.info("No stored TLS certificate; generating one", metadata: ["directory": "\(directory)"])
            } else {
                logger.warning(
                    "Regenerating the self-signed TLS certificate",
                    metadata: ["path": "\(certificatePath)", "reason": "\(reason)"])
            }
        }

        let started = ContinuousClock.now
        let material = try generate(host: host, now: Date())
        let elapsed = ContinuousClock.now - started
        // Key first: a crash between the two renames leaves a mismatched pair, which the next start replaces.
        try writeAtomically(material.privateKeyPEM, to: privateKeyPath, mode: 0o600)
        try writeAtomically(material.certificatePEM, to: certificatePath, mode: 0o644)
        syncDirectory(directory)
        let generated = ServiceCertificate(
            certificatePath: certificatePath, privateKeyPath: privateKeyPath, origin: .generated,
            chain: [material.der], leaf: material.certificate, privateKeyPEM: material.privateKeyPEM)
        logger.notice(
            "Generated a self-signed TLS certificate",
            metadata: [
                "path": "\(certificatePath)", "sha256": "\(generated.fingerprint)", "host": "\(host.name)",
                "notAfter": "\(material.certificate.notValidAfter)", "reason": "\(reason)",
                "duration": "\(elapsed)",
            ])
        return generated
    }

    struct StoredPairProblem: Error {
        var reason: String
        /// Neither file exists (first start): not worth a warning.
        var missing = false
    }

    /// The stored generated pair, or why it cannot be reused.
    static func storedPair(
        certificatePath: String, privateKeyPath: String, host: CertificateHost, now: Date
    ) -> Result<ServiceCertificate, StoredPairProblem> {
        let haveCertificate = access(certificatePath, F_OK) == 0
        let haveKey = access(privateKeyPath, F_OK) == 0
        if !haveCertificate && !haveKey {
            return .failure(StoredPairProblem(reason: "no stored certificate", missing: true))
        }
        let chain: [ParsedCertificate]
        let key: ParsedPrivateKey
        do throws(CertificateError) {
            chain = try parseCertificateFile(certificatePath, role: "stored certificate")
            key = try parsePrivateKeyFile(privateKeyPath, role: "stored private key")
        } catch {
            return .failure(StoredPairProblem(reason: error.message))
        }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: privateKeyPath),
            let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue, permissions & 0o077 != 0
        {
            return .failure(
                StoredPairProblem(
                    reason: "the stored private key is accessible to other users (mode "
                        + String(permissions & 0o777, radix: 8) + ")"))
        }
        let leaf = chain[0].certificate
        guard key.key.publicKey == leaf.publicKey else {
            return .failure(StoredPairProblem(reason: "the stored private key does not match the certificate"))
        }
        guard leaf.notValidBefore <= now else {
            return .failure(StoredPairProblem(reason: "the certificate is not valid before \(leaf.notValidBefore)"))
        }
        guard leaf.notValidAfter > now.addingTimeInterval(renewalMargin) else {
            let verb = leaf.notValidAfter <= now ? "expired" : "expires"
            return .failure(StoredPairProblem(reason: "the certificate \(verb) on \(leaf.notValidAfter)"))
        }
        guard host.isCovered(by: leaf) else {
            return .failure(
                StoredPairProblem(reason: "the certificate does not cover the host name \(host.name)"))
        }
        guard case .isCertificateAuthority? = try? leaf.extensions.basicConstraints else {
            return .failure(StoredPairProblem(reason: "the certificate lacks the CA:TRUE profile clients need"))
        }
        return .success(
            ServiceCertificate(
                certificatePath: certificatePath, privateKeyPath: privateKeyPath, origin: .reused,
                chain: chain.map(\.der), leaf: leaf, privateKeyPEM: key.pem))
    }

    struct Material {
        var certificate: Certificate
        var der: [UInt8]
        var certificatePEM: String
        var privateKeyPEM: String
    }

    /// A new P-256 key and a self-signed certificate for `host` with the profile described on the type.
    static func generate(
        host: CertificateHost, now: Date, notValidAfter: Date? = nil
    ) throws(CertificateError) -> Material {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let notAfter =
            notValidAfter ?? calendar.date(byAdding: .year, value: lifetimeYears, to: now)
            ?? now.addingTimeInterval(Double(lifetimeYears) * 365.25 * 86400)
        let key = P256.Signing.PrivateKey()
        let signingKey = Certificate.PrivateKey(key)
        do {
            // RFC 5280 limits a common name to 64 characters; the SAN carries the name anyway.
            let commonName = host.name.utf8.count <= 64 ? host.name : "localhost"
            let name = try DistinguishedName { CommonName(commonName) }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(host.subjectAlternativeNames)
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: signingKey.publicKey,
                notValidBefore: now.addingTimeInterval(-backdating), notValidAfter: notAfter,
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: signingKey)
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            let der = serializer.serializedBytes
            return Material(
                certificate: certificate, der: der,
                certificatePEM: PEMDocument(type: "CERTIFICATE", derBytes: der).pemString + "\n",
                privateKeyPEM: key.pemRepresentation + "\n")
        } catch {
            throw CertificateError("cannot generate a self-signed certificate for \(host.name): \(error)")
        }
    }

    // MARK: - Parsing

    private init(
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

    struct ParsedCertificate {
        var certificate: Certificate
        var der: [UInt8]
    }

    struct ParsedPrivateKey {
        var key: Certificate.PrivateKey
        /// The key block alone, re-encoded.
        var pem: String
    }

    /// The certificates of a PEM text, in order (tests parse files back with it).
    static func parseCertificates(pem text: String) throws -> [Certificate] {
        try PEMBlock.parse(text).filter { $0.label == "CERTIFICATE" }.map { try Certificate(derEncoded: $0.der) }
    }

    /// Every `CERTIFICATE` block of the file, leaf first; errors name the file.
    static func parseCertificateFile(_ path: String, role: String) throws(CertificateError) -> [ParsedCertificate] {
        let blocks = try readBlocks(path, role: role)
        var chain: [ParsedCertificate] = []
        for block in blocks where block.label == "CERTIFICATE" {
            do {
                chain.append(ParsedCertificate(certificate: try Certificate(derEncoded: block.der), der: block.der))
            } catch {
                throw CertificateError(
                    "\(role) \(path): certificate \(chain.count + 1) in the file cannot be parsed: \(error)")
            }
        }
        guard !chain.isEmpty else {
            throw CertificateError(
                "\(role) \(path) contains no PEM certificate (expected -----BEGIN CERTIFICATE-----)")
        }
        return chain
    }

    /// The PEM blocks of a file; errors name the file and its role.
    static func readBlocks(_ path: String, role: String) throws(CertificateError) -> [PEMBlock] {
        let text = try readText(path, role: role)
        do throws(PEMBlock.Malformed) {
            return try PEMBlock.parse(text)
        } catch {
            throw CertificateError("\(role) \(path) is not a valid PEM file: \(error.message)")
        }
    }

    static let privateKeyLabels: Set<String> = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"]

    /// The first private key block of the file (other blocks, such as EC PARAMETERS, are skipped).
    static func parsePrivateKeyFile(_ path: String, role: String) throws(CertificateError) -> ParsedPrivateKey {
        let blocks = try readBlocks(path, role: role)
        if blocks.contains(where: { $0.label == "ENCRYPTED PRIVATE KEY" || $0.encrypted }) {
            throw CertificateError(
                "\(role) \(path) holds an encrypted private key, which is not supported; decrypt it "
                    + "(openssl pkey -in \(path) -out <new file>) and keep the result readable only by the service user"
            )
        }
        guard let block = blocks.first(where: { privateKeyLabels.contains($0.label) }) else {
            throw CertificateError(
                "\(role) \(path) contains no PEM private key (expected -----BEGIN PRIVATE KEY-----, "
                    + "EC PRIVATE KEY or RSA PRIVATE KEY)")
        }
        let document = PEMDocument(type: block.label, derBytes: block.der)
        do {
            return ParsedPrivateKey(
                key: try Certificate.PrivateKey(pemDocument: document), pem: document.pemString + "\n")
        } catch {
            throw CertificateError(
                "\(role) \(path): unsupported or damaged private key (RSA, ECDSA P-256/384/521 or Ed25519 "
                    + "expected): \(error)")
        }
    }

    // MARK: - Files

    /// Reads a small regular file as UTF-8; errors name the file and the role.
    static func readText(_ path: String, role: String) throws(CertificateError) -> String {
        // O_NONBLOCK: a FIFO without writer reads as empty instead of hanging the start.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw CertificateError("\(role) \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw CertificateError("\(role) \(path) cannot be read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
            guard bytes.count <= maximumFileSize else {
                throw CertificateError("\(role) \(path) is too large for a PEM file")
            }
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw CertificateError("\(role) \(path) is not a PEM file (not text)")
        }
        return text
    }

    /// Creates the directory with mode 0700 if it does not exist; an existing directory keeps its mode.
    static func createDirectoryIfMissing(_ directory: String) throws(CertificateError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CertificateError("the certificate directory \(directory) exists but is not a directory")
            }
            return
        }
        if mkdir(directory, 0o700) == 0 {
            _ = chmod(directory, 0o700)  // ours: undo a restrictive umask
        } else if errno != EEXIST {
            throw CertificateError(
                "cannot create the certificate directory \(directory): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces `path` atomically: a temporary file created with O_EXCL and the final mode, written, fsync'd and
    /// renamed over the target. The key is never readable by others, not even while being written.
    static func writeAtomically(_ contents: String, to path: String, mode: mode_t) throws(CertificateError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var fd: Int32 = -1
        var temporary = ""
        for _ in 0..<16 {
            temporary = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw CertificateError("cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        func fail(_ what: String) -> CertificateError {
            let error = CertificateError("cannot \(what) \(path): \(String(cString: strerror(errno)))")
            close(fd)
            unlink(temporary)
            return error
        }
        // open() applied the umask, which can only remove bits; set the exact mode (0644 under umask 077).
        guard fchmod(fd, mode) == 0 else { throw fail("set the mode of") }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("write")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw fail("sync") }
        guard close(fd) == 0 else {
            let error = CertificateError("cannot write \(path): \(String(cString: strerror(errno)))")
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = CertificateError("cannot replace \(path): \(String(cString: strerror(errno)))")
            unlink(temporary)
            throw error
        }
    }

    /// Makes the renames durable.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// Why the certificate cannot be served; the message names the setting and file involved.
public struct CertificateError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(_ message: String) {
        self.message = message
    }
}

/// The host name a generated certificate is made for, normalized, and whether it is an IP address.
struct CertificateHost: Sendable, Equatable {
    /// Lowercased DNS name or canonical IP address text.
    let name: String
    /// The address bytes (4 or 16) when ``name`` is an IP address.
    let address: [UInt8]?

    init(_ hostName: String) throws(CertificateError) {
        var host = hostName.trimmingCharacters(in: .whitespaces).lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host = String(host.dropLast()) }
        // A wildcard bind address is not a name clients use: name the machine instead.
        if host.isEmpty || host == "0.0.0.0" || host == "::" {
            host = Self.machineName()
        }
        if let address = Self.parseAddress(host) {
            self.address = address
            self.name = host
            return
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-._".utf8)
        guard host.utf8.count <= 253, host.utf8.allSatisfy({ allowed.contains($0) }),
            !host.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
        else {
            throw CertificateError(
                "cannot make a certificate for the host name '\(hostName)': not a DNS name or IP address")
        }
        self.address = nil
        self.name = host
    }

    static let loopbackV4: [UInt8] = [127, 0, 0, 1]
    static let loopbackV6: [UInt8] = Array(repeating: 0, count: 15) + [1]

    /// DNS:<host> (unless an address or localhost), DNS:localhost, IP:<host> (if an address), IP:127.0.0.1, IP:::1.
    var subjectAlternativeNames: [GeneralName] {
        var names: [GeneralName] = []
        if address == nil && name != "localhost" { names.append(.dnsName(name)) }
        names.append(.dnsName("localhost"))
        if let address, address != Self.loopbackV4, address != Self.loopbackV6 {
            names.append(.ipAddress(ASN1OctetString(contentBytes: address[...])))
        }
        names.append(.ipAddress(ASN1OctetString(contentBytes: Self.loopbackV4[...])))
        names.append(.ipAddress(ASN1OctetString(contentBytes: Self.loopbackV6[...])))
        return names
    }

    /// Whether the certificate's SAN names this host (exact DNS name, case-insensitive, or the same address).
    func isCovered(by certificate: Certificate) -> Bool {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return false }
        return names.contains { general in
            switch general {
            case .dnsName(let dns):
                var dns = dns.lowercased()
                if dns.hasSuffix(".") { dns.removeLast() }
                guard address == nil else { return false }
                // A configured certificate may name `*.domain` (one label, as browsers match it).
                if dns.hasPrefix("*."), let dot = name.firstIndex(of: ".") {
                    return name[name.index(after: dot)...] == dns.dropFirst(2)
                }
                return dns == name
            case .ipAddress(let octets):
                return address.map { Array(octets.bytes) == $0 } ?? false
            default:
                return false
            }
        }
    }

    static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func machineName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
        return name.isEmpty ? "localhost" : name
    }
}

/// One `-----BEGIN <label>-----` … `-----END <label>-----` block. Lenient like OpenSSL: text outside blocks
/// (such as `openssl x509 -text` output or "Bag Attributes") is ignored and any base64 line length is accepted.
struct PEMBlock {
    var label: String
    var der: [UInt8]
    /// Legacy encrypted PEM (`Proc-Type: 4,ENCRYPTED` header).
    var encrypted: Bool

    struct Malformed: Error {
        var message: String
    }

    static func parse(_ text: String) throws(Malformed) -> [PEMBlock] {
        var blocks: [PEMBlock] = []
        var label: String?
        var body = ""
        var headers = false
        var encrypted = false
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let current = label {
                if line.hasPrefix("-----END ") && line.hasSuffix("-----") {
                    let end = String(line.dropFirst(9).dropLast(5))
                    guard end == current else {
                        throw Malformed(message: "BEGIN \(current) ends with END \(end)")
                    }
                    guard let data = Data(base64Encoded: body), !data.isEmpty else {
                        throw Malformed(message: "the \(current) block is not valid base64")
                    }
                    blocks.append(PEMBlock(label: current, der: Array(data), encrypted: encrypted))
                    label = nil
                } else if line.contains(":") {
                    headers = true
                    if line.hasPrefix("Proc-Type:") && line.contains("ENCRYPTED") { encrypted = true }
                } else if !(headers && line.isEmpty) {
                    body += line
                }
            } else if line.hasPrefix("-----BEGIN ") && line.hasSuffix("-----") && line.count > 16 {
                label = String(line.dropFirst(11).dropLast(5))
                body = ""
                headers = false
                encrypted = false
            }
        }
        if let label {
            throw Malformed(message: "-----BEGIN \(label)----- without -----END \(label)-----")
        }
        return blocks
    }
}

/// An exclusive `flock` on a file in the certificate directory while the generated pair is checked or replaced,
/// so two services starting at once do not interleave their pairs.
struct DirectoryLock {
    private let fd: Int32

    /// Waits for the lock; nil if the lock file cannot be created or locked.
    init?(path: String) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return nil }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(fd)
                return nil
            }
        }
        self.fd = fd
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
