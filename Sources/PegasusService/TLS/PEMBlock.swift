import Foundation

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
