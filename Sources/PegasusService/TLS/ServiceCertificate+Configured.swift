import Foundation
import Logging
import NIOSSL
import X509

extension ServiceCertificate {
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
}
