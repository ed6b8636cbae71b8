import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#endif

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
