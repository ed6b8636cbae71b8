import Foundation
import Testing
import TriggerKit

struct TriggerDurationTests {
    // MARK: - Pegasus grammar

    @Test(
        "Pegasus' accepted forms parse to seconds",
        arguments: [
            ("10s", 10), ("10 s", 10), ("10  m", 600), ("010s", 10), ("10S", 10), (" 5m ", 300),
            ("1s", 1), ("2h", 7_200), ("3d", 259_200), ("3D", 259_200), ("90m", 5_400), ("\t7H\n", 25_200),
            ("0001m", 60), ("\u{A0}5m\u{1F}", 300),
        ]
    )
    func pegasusAcceptedForms(text: String, seconds: Int) throws {
        #expect(try TriggerDuration.parse(text, field: "interval") == seconds)
    }

    @Test(
        "Pegasus' rejected forms fail with the Pegasus message",
        arguments: [
            "1.5h", "10sec", "-1s", "", "1", "0s", "0 m", "   ", "s", "10 x", "+5s", "10s;", "1 0s", "10\ts",
            "١٠s", "１０s", "10ｓ", "5m 5", "h1",
        ]
    )
    func pegasusRejectedForms(text: String) {
        let error = #expect(throws: TriggerError.self) { try TriggerDuration.parse(text, field: "interval") }
        #expect(error?.code == .invalidDuration)
        #expect(error?.message == "interval must be given as `<int> <s|m|h|d>` and be greater than 0 seconds")
    }

    @Test("the error message names the field")
    func messageNamesField() {
        let error = #expect(throws: TriggerError.self) { try TriggerDuration.parse("soon", field: "timeout") }
        #expect(error?.message == "timeout must be given as `<int> <s|m|h|d>` and be greater than 0 seconds")
        #expect(error?.description == error?.message)
        #expect(error?.localizedDescription == error?.message)
        #expect(
            TriggerDuration.errorMessage(field: "interval")
                == "interval must be given as `<int> <s|m|h|d>` and be greater than 0 seconds"
        )
    }

    // MARK: - Compound forms

    @Test(
        "compound forms add their components",
        arguments: [
            ("1h30m", 5_400), ("2d 4h", 187_200), ("1h 30m 15s", 5_415), ("1d1h1m1s", 90_061),
            ("1H30M", 5_400), ("1 h 30 m", 5_400), ("  2d   4h  ", 187_200), ("1h90m", 9_000), ("0h30m", 1_800),
            ("1h0m", 3_600), ("1d 0s", 86_400),
        ]
    )
    func compoundForms(text: String, seconds: Int) throws {
        #expect(try TriggerDuration.parse(text, field: "interval") == seconds)
    }

    @Test(
        "compound forms need distinct units in decreasing order and a positive total",
        arguments: ["30m1h", "1h1h", "1s1m", "0h0m", "1h30", "1h,30m", "1h-30m", "1h\t30m", "h30m", "1h 30x"]
    )
    func badCompoundForms(text: String) {
        #expect(throws: TriggerError.self) { try TriggerDuration.parse(text, field: "interval") }
    }

    @Test("values that overflow a 64-bit second count are rejected, the largest representable is accepted")
    func overflow() throws {
        #expect(throws: TriggerError.self) { try TriggerDuration.parse("99999999999999999999s", field: "x") }
        #expect(throws: TriggerError.self) { try TriggerDuration.parse("9223372036854775807m", field: "x") }
        #expect(throws: TriggerError.self) {
            try TriggerDuration.parse("106751991167300d 23h 59m 59s", field: "x")
        }
        #expect(try TriggerDuration.parse("9223372036854775807s", field: "x") == Int.max)
    }

    // MARK: - Formatting

    @Test(
        "format renders the canonical compound form",
        arguments: [
            (5_400, "1h30m"), (10, "10s"), (60, "1m"), (3_600, "1h"), (86_400, "1d"), (90_061, "1d1h1m1s"),
            (172_800 + 59, "2d59s"), (0, "0s"), (-90, "-1m30s"),
        ]
    )
    func format(seconds: Int, text: String) {
        #expect(TriggerDuration.format(seconds: seconds) == text)
    }

    @Test("format and parse round-trip for many values")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        var values = [1, 59, 60, 61, 3_599, 3_600, 86_399, 86_400, 86_401, Int.max]
        for _ in 0..<500 { values.append(Int.random(in: 1...10_000_000, using: &generator)) }
        for value in values {
            let text = TriggerDuration.format(seconds: value)
            #expect(try TriggerDuration.parse(text, field: "interval") == value, "\(text)")
        }
        #expect(TriggerDuration.format(seconds: Int.min).hasPrefix("-"))
    }

    // MARK: - The value type

    @Test("the value type validates, compares, describes and codes itself")
    func valueType() throws {
        #expect(TriggerDuration(seconds: 0) == nil)
        #expect(TriggerDuration(seconds: -5) == nil)
        let ninety = try #require(TriggerDuration(seconds: 5_400))
        #expect(try TriggerDuration("1h 30m") == ninety)
        #expect(ninety.description == "1h30m")
        #expect(ninety.duration == .seconds(5_400))
        #expect(try TriggerDuration("10s") < TriggerDuration("1m"))
        let error = #expect(throws: TriggerError.self) { try TriggerDuration("1.5h", field: "timeout") }
        #expect(error?.message.hasPrefix("timeout must be given") == true)

        let encoded = try JSONEncoder().encode([ninety])
        #expect(String(decoding: encoded, as: UTF8.self) == "[5400]")
        #expect(try JSONDecoder().decode([TriggerDuration].self, from: encoded) == [ninety])
        let fromText = try JSONDecoder().decode([TriggerDuration].self, from: Data(#"["1h30m", 60]"#.utf8))
        #expect(fromText.map(\.seconds) == [5_400, 60])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([TriggerDuration].self, from: Data("[0]".utf8)) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([TriggerDuration].self, from: Data(#"["1.5h"]"#.utf8))
        }
    }
}
