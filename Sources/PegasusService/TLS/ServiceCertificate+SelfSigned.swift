import Crypto
import Foundation
import SwiftASN1
import X509

extension ServiceCertificate {
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
}
