import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import Testing
import X509

@testable import PegasusService

#if canImport(Glibc)
    import Glibc
#endif

/// The TLS certificate of `pegasus-service`: configured pair, generated/reused self-signed pair, and HTTPS with it.
@Suite("Service certificate")
struct CertificateTests {
    // MARK: - Generated pair

    @Test("first start generates the pair with the right modes; the next start reuses it")
    func generatesThenReuses() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.path + "/.pegasus"
        let log = LogRecorder()

        let started = ContinuousClock.now
        let first = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: directory, hostName: "localhost", logger: log.logger)
        let elapsed = ContinuousClock.now - started
        #expect(first.origin == .generated)
        #expect(first.certificatePath == directory + "/service-cert.pem")
        #expect(first.privateKeyPath == directory + "/service-key.pem")
        #expect(try fileMode(directory) == 0o700)
        #expect(try fileMode(first.privateKeyPath) == 0o600)
        #expect(try fileMode(first.certificatePath) == 0o644)
        #expect(try String(contentsOfFile: first.certificatePath, encoding: .utf8) == first.certificatePEM)
        #expect(try String(contentsOfFile: first.privateKeyPath, encoding: .utf8).contains("BEGIN PRIVATE KEY"))
        #expect(first.fingerprint.wholeMatch(of: /([0-9A-F]{2}:){31}[0-9A-F]{2}/) != nil)
        #expect(log.contains(first.fingerprint))
        // No temporary files are left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasSuffix(".lock") }
        #expect(names.sorted() == ["service-cert.pem", "service-key.pem"])
        print("certificate load with generation took \(elapsed)")

        let second = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: directory, hostName: "localhost", logger: log.logger)
        #expect(second.origin == .reused)
        #expect(second.fingerprint == first.fingerprint)
        #expect(second.certificatePEM == first.certificatePEM)
        #expect(second.privateKeyPEM == first.privateKeyPEM)
        _ = try second.serverTLSConfiguration()
    }

    @Test("an existing certificate directory keeps its mode")
    func existingDirectoryKeepsItsMode() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.path + "/.pegasus"
        #expect(mkdir(directory, 0o755) == 0)
        #expect(chmod(directory, 0o755) == 0)
        let loaded = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: directory, hostName: "localhost", logger: LogRecorder().logger
        )
        #expect(loaded.origin == .generated)
        #expect(try fileMode(directory) == 0o755)
        #expect(try fileMode(loaded.privateKeyPath) == 0o600)
    }

    @Test("generation takes about a millisecond")
    func generationIsFast() throws {
        let host = try CertificateHost("localhost")
        _ = try ServiceCertificate.generate(host: host, now: Date())  // warm up
        let rounds = 20
        let started = ContinuousClock.now
        for _ in 0..<rounds { _ = try ServiceCertificate.generate(host: host, now: Date()) }
        let each = (ContinuousClock.now - started) / rounds
        print("one key + certificate generation: \(each)")
        #expect(each < .milliseconds(100))
    }

    @Test(
        "the generated certificate has the CA:TRUE profile every client accepts",
        arguments: [
            ("localhost", ["DNSName(\"localhost\")", "IPAddress([127, 0, 0, 1])", CertificateTests.ipv6Loopback]),
            (
                "Pegasus.Example.org",
                [
                    "DNSName(\"pegasus.example.org\")", "DNSName(\"localhost\")", "IPAddress([127, 0, 0, 1])",
                    ipv6Loopback,
                ]
            ),
            (
                "10.1.2.3",
                [
                    "DNSName(\"localhost\")", "IPAddress([10, 1, 2, 3])", "IPAddress([127, 0, 0, 1])",
                    CertificateTests.ipv6Loopback,
                ]
            ),
            ("127.0.0.1", ["DNSName(\"localhost\")", "IPAddress([127, 0, 0, 1])", CertificateTests.ipv6Loopback]),
        ])
    func profile(hostName: String, expectedNames: [String]) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let loaded = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: hostName, logger: LogRecorder().logger
        )
        let certificates = try ServiceCertificate.parseCertificates(
            pem: String(contentsOfFile: loaded.certificatePath, encoding: .utf8))
        #expect(certificates.count == 1)
        let certificate = try #require(certificates.first)

        #expect(certificate.version == .v3)
        #expect(certificate.subject.description == "CN=\(hostName.lowercased())")
        #expect(certificate.issuer == certificate.subject)
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(certificate.publicKey.description == "P256.PublicKey")

        let basic = try #require(certificate.extensions[oid: .X509ExtensionID.basicConstraints])
        #expect(basic.critical)
        #expect(try BasicConstraints(basic) == .isCertificateAuthority(maxPathLength: 0))
        let usage = try #require(certificate.extensions[oid: .X509ExtensionID.keyUsage])
        #expect(usage.critical)
        #expect(try KeyUsage(usage) == KeyUsage(digitalSignature: true, keyCertSign: true))
        #expect(try Array(#require(try certificate.extensions.extendedKeyUsage)) == [.serverAuth])
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        #expect(names.map(\.description) == expectedNames)
        #expect(certificate.extensions.count == 4)

        // Validity: now − 1 hour … now + 10 years (the encoding keeps whole seconds).
        let now = Date()
        #expect(abs(certificate.notValidBefore.timeIntervalSince(now) + 3600) < 120)
        let years = Calendar(identifier: .gregorian).dateComponents(
            [.year, .day], from: now, to: certificate.notValidAfter.addingTimeInterval(60))
        #expect(years.year == 10 && years.day == 0)
    }

    @Test("openssl reads the generated certificate the same way and verifies it against itself")
    func opensslAgrees() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let loaded = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "pegasus.example.org",
            logger: LogRecorder().logger)
        let text = try await run(["openssl", "x509", "-noout", "-text", "-in", loaded.certificatePath])
        #expect(text.status == 0)
        #expect(text.stdout.contains("X509v3 Basic Constraints: critical"))
        #expect(text.stdout.contains("CA:TRUE, pathlen:0"))
        #expect(text.stdout.contains("X509v3 Key Usage: critical"))
        #expect(text.stdout.contains("Digital Signature, Certificate Sign"))
        #expect(text.stdout.contains("TLS Web Server Authentication"))
        #expect(
            text.stdout.contains(
                "DNS:pegasus.example.org, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
        #expect(text.stdout.contains("Subject: CN = pegasus.example.org"))
        #expect(text.stdout.contains("ASN1 OID: prime256v1"))
        let fingerprint = try await run([
            "openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", loaded.certificatePath,
        ])
        #expect(fingerprint.stdout.split(separator: "=").last.map(String.init)?.trimmed == loaded.fingerprint)
        let verify = try await run([
            "openssl", "verify", "-purpose", "sslserver", "-CAfile", loaded.certificatePath, loaded.certificatePath,
        ])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let key = try await run(["openssl", "pkey", "-noout", "-in", loaded.privateKeyPath])
        #expect(key.status == 0)
    }

    @Test("a corrupt stored certificate is replaced by a new pair")
    func corruptStoredCertificateIsRegenerated() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost",
            logger: LogRecorder().logger)
        try "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n".write(
            toFile: first.certificatePath, atomically: false, encoding: .utf8)
        let log = LogRecorder()
        let second = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost", logger: log.logger)
        #expect(second.origin == .generated)
        #expect(second.fingerprint != first.fingerprint)
        #expect(log.contains("Regenerating"))
        #expect(log.contains("stored certificate"))
        #expect(try fileMode(second.privateKeyPath) == 0o600)
        #expect(try fileMode(second.certificatePath) == 0o644)

        // A missing key or a key of another pair is replaced too.
        try FileManager.default.removeItem(atPath: second.privateKeyPath)
        let third = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost", logger: log.logger)
        #expect(third.origin == .generated)
        let other = try ServiceCertificate.generate(host: CertificateHost("localhost"), now: Date())
        try ServiceCertificate.writeAtomically(other.privateKeyPEM, to: third.privateKeyPath, mode: 0o600)
        let fourth = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost", logger: log.logger)
        #expect(fourth.origin == .generated)
        #expect(log.contains("does not match"))
        #expect(
            try ServiceCertificate.load(
                certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost", logger: log.logger
            ).origin == .reused)
    }

    @Test("a host name the stored certificate does not cover leads to a new pair")
    func hostOutsideTheSANRegenerates() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let log = LogRecorder()
        let first = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost", logger: log.logger)
        // 127.0.0.1 and localhost are always in the SAN.
        let same = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "127.0.0.1", logger: log.logger)
        #expect(same.origin == .reused)
        let moved = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "pegasus.example.org",
            logger: log.logger)
        #expect(moved.origin == .generated)
        #expect(moved.fingerprint != first.fingerprint)
        #expect(log.contains("does not cover the host name pegasus.example.org"))
        let again = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "PEGASUS.example.org.",
            logger: log.logger)
        #expect(again.origin == .reused)
        #expect(again.fingerprint == moved.fingerprint)
    }

    @Test("a stored certificate expiring within 30 days is replaced")
    func expiringCertificateIsRegenerated() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let soon = try ServiceCertificate.generate(
            host: CertificateHost("localhost"), now: Date(), notValidAfter: Date().addingTimeInterval(10 * 86400))
        try ServiceCertificate.writeAtomically(soon.privateKeyPEM, to: scratch.path + "/service-key.pem", mode: 0o600)
        try ServiceCertificate.writeAtomically(
            soon.certificatePEM, to: scratch.path + "/service-cert.pem", mode: 0o644)
        let log = LogRecorder()
        let loaded = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost", logger: log.logger)
        #expect(loaded.origin == .generated)
        #expect(log.contains("the certificate expires on"))
        #expect(loaded.leaf.notValidAfter > Date().addingTimeInterval(9 * 365 * 86400))
    }

    @Test("a stored key readable by others is not reused")
    func exposedKeyIsReplaced() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost",
            logger: LogRecorder().logger)
        #expect(chmod(first.privateKeyPath, 0o644) == 0)
        let log = LogRecorder()
        let second = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost", logger: log.logger)
        #expect(second.origin == .generated)
        #expect(log.contains("accessible to other users"))
        #expect(try fileMode(second.privateKeyPath) == 0o600)
    }

    @Test("a host name that is neither a DNS name nor an address is an error")
    func invalidHostName() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let error = #expect(throws: PegasusService.CertificateError.self) {
            try ServiceCertificate.load(
                certificate: nil, privateKey: nil, directory: scratch.path, hostName: "bad host!",
                logger: LogRecorder().logger)
        }
        #expect(error?.message.contains("bad host!") == true)
    }

    // MARK: - Configured pair

    @Test("a configured pair is served as is")
    func configuredPair() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (certificate, key) = try await opensslPair(in: scratch, name: "own")
        let directory = scratch.path + "/.pegasus"
        let loaded = try ServiceCertificate.load(
            certificate: certificate, privateKey: key, directory: directory, hostName: "localhost",
            logger: LogRecorder().logger)
        #expect(loaded.origin == .configured)
        #expect(loaded.certificatePath == certificate)
        #expect(loaded.privateKeyPath == key)
        let fingerprint = try await run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", certificate])
        #expect(fingerprint.stdout.split(separator: "=").last.map(String.init)?.trimmed == loaded.fingerprint)
        #expect(!FileManager.default.fileExists(atPath: directory))  // nothing generated
        _ = try loaded.serverTLSConfiguration()

        // Empty settings count as unset.
        let generated = try ServiceCertificate.load(
            certificate: "", privateKey: "", directory: directory, hostName: "localhost", logger: LogRecorder().logger)
        #expect(generated.origin == .generated)
    }

    @Test("configured files as openssl writes them: text dumps, EC PARAMETERS, SEC1 keys; encrypted keys refused")
    func opensslFileVariants() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let key = scratch.path + "/sec1-key.pem"
        let certificate = scratch.path + "/dump-cert.pem"
        #expect(try await run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", key]).status == 0)
        #expect(
            try await run([
                "openssl", "req", "-new", "-x509", "-key", key, "-out", certificate, "-days", "5", "-subj",
                "/CN=pegasus.example.org", "-addext", "subjectAltName=DNS:*.example.org",
            ]).status == 0)
        let dump = try await run(["openssl", "x509", "-text", "-in", certificate])
        try dump.stdout.write(toFile: certificate, atomically: false, encoding: .utf8)
        #expect(try String(contentsOfFile: key, encoding: .utf8).contains("BEGIN EC PARAMETERS"))

        let log = LogRecorder()
        let loaded = try ServiceCertificate.load(
            certificate: certificate, privateKey: key, directory: scratch.path, hostName: "pegasus.example.org",
            logger: log.logger)
        #expect(loaded.origin == .configured)
        #expect(loaded.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(loaded.privateKeyPEM.hasPrefix("-----BEGIN EC PRIVATE KEY-----"))
        #expect(log.contains("expires soon"))
        #expect(!log.contains("does not name the server host"))  // *.example.org covers it
        _ = try ServiceCertificate.load(
            certificate: certificate, privateKey: key, directory: scratch.path, hostName: "localhost",
            logger: log.logger)
        #expect(log.contains("does not name the server host"))

        let encrypted = scratch.path + "/encrypted-key.pem"
        #expect(
            try await run(["openssl", "pkey", "-in", key, "-aes256", "-passout", "pass:secret", "-out", encrypted])
                .status == 0)
        let error = #expect(throws: PegasusService.CertificateError.self) {
            try ServiceCertificate.load(
                certificate: certificate, privateKey: encrypted, directory: scratch.path, hostName: "localhost",
                logger: LogRecorder().logger)
        }
        #expect(error?.message.hasPrefix("PRIVATE_KEY \(encrypted) holds an encrypted private key") == true)
    }

    @Test("two services starting at once end up with the same stored pair")
    func concurrentFirstStarts() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.path
        let loads = (0..<4).map { _ in
            Task.detached {
                try ServiceCertificate.load(
                    certificate: nil, privateKey: nil, directory: path, hostName: "localhost",
                    logger: LogRecorder().logger)
            }
        }
        var results: [ServiceCertificate] = []
        for load in loads { results.append(try await load.value) }
        #expect(Set(results.map(\.fingerprint)).count == 1)
        #expect(results.filter { $0.origin == .generated }.count == 1)
        let stored = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: path, hostName: "localhost", logger: LogRecorder().logger)
        #expect(stored.fingerprint == results[0].fingerprint)
    }

    @Test("only one of CERTIFICATE and PRIVATE_KEY is an error")
    func onlyOneOfThePair() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (certificate, key) = try await opensslPair(in: scratch, name: "own")
        let onlyCertificate = #expect(throws: PegasusService.CertificateError.self) {
            try ServiceCertificate.load(
                certificate: certificate, privateKey: nil, directory: scratch.path, hostName: "localhost",
                logger: LogRecorder().logger)
        }
        #expect(onlyCertificate?.message.contains("CERTIFICATE is set (\(certificate)) but PRIVATE_KEY is not") == true)
        let onlyKey = #expect(throws: PegasusService.CertificateError.self) {
            try ServiceCertificate.load(
                certificate: "", privateKey: key, directory: scratch.path, hostName: "localhost",
                logger: LogRecorder().logger)
        }
        #expect(onlyKey?.message.contains("PRIVATE_KEY is set (\(key)) but CERTIFICATE is not") == true)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/service-cert.pem"))
    }

    @Test("a key that does not belong to the certificate is an error naming both files")
    func mismatchedKey() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (certificate, _) = try await opensslPair(in: scratch, name: "one")
        let (_, otherKey) = try await opensslPair(in: scratch, name: "two")
        let error = #expect(throws: PegasusService.CertificateError.self) {
            try ServiceCertificate.load(
                certificate: certificate, privateKey: otherKey, directory: scratch.path, hostName: "localhost",
                logger: LogRecorder().logger)
        }
        #expect(
            error?.message == "PRIVATE_KEY \(otherKey) does not match the certificate in CERTIFICATE \(certificate)")
    }

    @Test("unreadable or non-PEM configured files are errors naming the file")
    func badConfiguredFiles() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (certificate, key) = try await opensslPair(in: scratch, name: "own")
        let missing = scratch.path + "/missing.pem"
        let garbage = scratch.path + "/garbage.pem"
        try "hello, not a certificate\n".write(toFile: garbage, atomically: false, encoding: .utf8)
        let binary = scratch.path + "/binary.der"
        try Data([0x30, 0x82, 0xff, 0xfe, 0x00]).write(to: URL(fileURLWithPath: binary))
        let cases: [(String, String, String)] = [
            (missing, key, "CERTIFICATE \(missing) cannot be read: No such file or directory"),
            (certificate, missing, "PRIVATE_KEY \(missing) cannot be read: No such file or directory"),
            (garbage, key, "CERTIFICATE \(garbage) contains no PEM certificate"),
            (certificate, garbage, "PRIVATE_KEY \(garbage) contains no PEM private key"),
            (certificate, certificate, "PRIVATE_KEY \(certificate) contains no PEM private key"),
            (key, key, "CERTIFICATE \(key) contains no PEM certificate"),
            (binary, key, "CERTIFICATE \(binary) is not a PEM file"),
            (scratch.path, key, "CERTIFICATE \(scratch.path) cannot be read: Is a directory"),
        ]
        for (certificatePath, keyPath, expected) in cases {
            let error = #expect(throws: PegasusService.CertificateError.self) {
                try ServiceCertificate.load(
                    certificate: certificatePath, privateKey: keyPath, directory: scratch.path,
                    hostName: "localhost", logger: LogRecorder().logger)
            }
            #expect(error?.message.hasPrefix(expected) == true, "\(error?.message ?? "no error") vs \(expected)")
        }
    }
}
