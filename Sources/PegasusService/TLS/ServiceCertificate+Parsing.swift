import SwiftASN1
import X509

extension ServiceCertificate {
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
}
