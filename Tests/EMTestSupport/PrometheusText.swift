import Foundation

/// Parses a Prometheus text exposition with prometheus_client's own parser (`prometheus_client.parser`, from the
/// tools venv `scripts/test.sh` makes), run as a child process: what a real scraper accepts, not what we think
/// the format is.
public enum PrometheusText {
    /// One sample (a counter's `_total`, a histogram's `_bucket`/`_sum`/`_count`, a gauge).
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double

        /// Whether the sample has all these labels (and maybe others).
        public func has(_ wanted: [String: String]) -> Bool {
            wanted.allSatisfy { labels[$0.key] == $0.value }
        }
    }

    /// A parsed exposition: its samples and each family's type.
    public struct Exposition: Sendable {
        public var samples: [Sample]
        public var types: [String: String]

        /// The value of the first sample `name` with these labels (among others), nil if absent.
        public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { $0.name == name && $0.has(labels) }?.value
        }

        /// The sum over the samples called `name` whose labels include `labels`.
        public func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
            samples.filter { $0.name == name && $0.has(labels) }.reduce(0) { $0 + $1.value }
        }
    }

    /// The tools venv: `$PEGASUS_TOOLS_VENV`, else `<repo>/.venv-tools`; nil when neither has a python.
    public static var venv: String? {
        let candidates = [
            ProcessInfo.processInfo.environment["PEGASUS_TOOLS_VENV"],
            Binaries.repositoryRoot.appendingPathComponent(".venv-tools").path,
        ].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/bin/python") }
    }

    /// Whether to run: the parser is there, or this is CI (where a missing one is a failure, not a skip).
    public static var shouldRun: Bool { venv != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    static let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        samples, types = [], {}
        for family in text_string_to_metric_families(sys.stdin.read()):
            types[family.name] = family.type
            for s in family.samples:
                samples.append({"name": s.name, "labels": s.labels, "value": s.value})
        json.dump({"samples": samples, "types": types}, sys.stdout)
        """

    /// Parses `text`; throws with the parser's message when it refuses it (blocking: call it off the pool).
    public static func parse(_ text: String) throws -> Exposition {
        guard let venv else {
            throw ParseError(
                description: "prometheus_client is not installed: run scripts/test.sh (it makes .venv-tools) or set "
                    + "PEGASUS_TOOLS_VENV to a venv with prometheus_client==0.26.0")
        }
        let result = try ProcessRunner.run([venv + "/bin/python", "-c", script], stdin: text, timeout: 60)
        guard result.status == 0,
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let samples = json["samples"] as? [[String: Any]], let types = json["types"] as? [String: String]
        else {
            throw ParseError(
                description: "prometheus_client refused the exposition (\(result.status)): \(result.stderr)")
        }
        return Exposition(
            samples: samples.map { s in
                Sample(
                    name: s["name"] as? String ?? "", labels: s["labels"] as? [String: String] ?? [:],
                    value: (s["value"] as? NSNumber)?.doubleValue ?? .nan)
            }, types: types)
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }
}
