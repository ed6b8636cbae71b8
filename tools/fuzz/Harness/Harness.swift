import Foundation

/// libFuzzer's entry point: runs the parser named by `FUZZ_TARGET` on one input.
/// A violated invariant stops the process with `fatalError`, which libFuzzer reports as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    FuzzTarget.selected.run(data)
    return 0
}

/// The parsers this binary fuzzes; `FUZZ_TARGET` holds one raw value.
enum FuzzTarget: String, CaseIterable {
    case duration, cron, glob, servicepy, planoutput, braindump, query, request

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = allCases.map(\.rawValue).joined(separator: " ")
            fatalError("set FUZZ_TARGET to one of: \(names)")
        }
        return target
    }()

    func run(_ data: Data) {
        switch self {
        case .duration: fuzzDuration(data)
        case .cron: fuzzCron(data)
        case .glob: fuzzGlob(data)
        case .servicepy: fuzzServicePy(data)
        case .planoutput: fuzzPlanOutput(data)
        case .braindump: fuzzBraindump(data)
        case .query: fuzzQuery(data)
        case .request: fuzzRequest(data)
        }
    }
}

/// The input as text (invalid UTF-8 replaced, as the servers' readers do).
func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

/// Splits an input at its first NUL byte into two texts (the second empty without one).
func twoTexts(_ data: Data) -> (String, String) {
    guard let nul = data.firstIndex(of: 0) else { return (text(data), "") }
    return (text(data[data.startIndex..<nul]), text(data[(nul + 1)...]))
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}
