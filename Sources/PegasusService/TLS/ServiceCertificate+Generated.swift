import Foundation
import Logging
import X509

#if canImport(Glibc)
    import Glibc
#endif

extension ServiceCertificate {
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
}
