import PegasusConfig
import Testing

/// The subset of Python that `service.py` files are written in, and the clear errors for everything else.
struct PythonLiteralParserTests {
    private func parse(_ source: String) throws -> [String: ConfigValue] {
        try PythonLiteralParser.parse(source, file: "/cfg/service.py")
    }

    private func value(_ literal: String) throws -> ConfigValue? {
        try parse("KEY = \(literal)\n")["KEY"]
    }

    // MARK: - Strings

    @Test(
        "string literals",
        arguments: [
            ("'abc'", "abc"),
            ("\"abc\"", "abc"),
            ("'it\\'s'", "it's"),
            ("\"say \\\"hi\\\"\"", "say \"hi\""),
            ("'a\\nb\\tc\\\\d'", "a\nb\tc\\d"),
            ("'\\x41\\u00e9\\U0001F600'", "Aé😀"),
            ("'\\101\\0\\7'", "A\0\u{7}"),
            ("'\\a\\b\\f\\v'", "\u{7}\u{8}\u{C}\u{B}"),
            ("'\\q \\N'", "\\q \\N"),
            ("''", ""),
            ("'ünïcödé ✓'", "ünïcödé ✓"),
            ("u'unicode prefix'", "unicode prefix"),
            ("r'\\d+\\.txt'", "\\d+\\.txt"),
            ("R\"C:\\path\"", "C:\\path"),
            ("r'raw \\' quote'", "raw \\' quote"),
            ("'a' 'b'", "ab"),
            ("'a' \"b\" r'\\c'", "ab\\c"),
            ("'''one'''", "one"),
            ("\"\"\"with \"quotes\" inside\"\"\"", "with \"quotes\" inside"),
        ])
    func strings(literal: String, expected: String) throws {
        #expect(try value(literal) == .string(expected))
    }

    @Test func tripleQuotedStringsSpanLines() throws {
        let values = try parse(
            """
            TEXT = '''line one
            line two'''
            AFTER = 1
            """)
        #expect(values["TEXT"] == .string("line one\nline two"))
        #expect(values["AFTER"] == .int(1))
    }

    @Test func adjacentStringsInParenthesesSpanLines() throws {
        let values = try parse(
            """
            URL = ("http://"
                   "example.org"  # a comment between the parts
                   '/prefix')
            """)
        #expect(values["URL"] == .string("http://example.org/prefix"))
    }

    @Test func backslashNewlineInsideAStringContinuesIt() throws {
        #expect(try parse("S = 'abc\\\ndef'\nT = 2\n") == ["S": .string("abcdef"), "T": .int(2)])
    }

    // MARK: - Numbers and names

    @Test(
        "numbers",
        arguments: [
            ("42", ConfigValue.int(42)),
            ("-7", .int(-7)),
            ("+3", .int(3)),
            ("- 4", .int(-4)),
            ("0", .int(0)),
            ("1_000_000", .int(1_000_000)),
            ("0x1F", .int(31)),
            ("0XfF", .int(255)),
            ("-0x10", .int(-16)),
            ("0o17", .int(15)),
            ("0b101", .int(5)),
            ("1.5", .float(1.5)),
            ("-2.5e3", .float(-2500)),
            ("1e3", .float(1000)),
            ("1E-2", .float(0.01)),
            (".5", .float(0.5)),
            ("5.", .float(5)),
        ])
    func numbers(literal: String, expected: ConfigValue) throws {
        #expect(try value(literal) == expected)
    }

    @Test func constants() throws {
        let values = try parse("A = True\nB = False\nC = None\n")
        #expect(values == ["A": .bool(true), "B": .bool(false), "C": .none])
    }

    // MARK: - Containers

    @Test func containers() throws {
        #expect(try value("[1, 'two', 3.0, None]") == .list([.int(1), .string("two"), .float(3), .none]))
        #expect(try value("[]") == .list([]))
        #expect(try value("[1, 2,]") == .list([.int(1), .int(2)]))
        #expect(try value("(1, 2)") == .tuple([.int(1), .int(2)]))
        #expect(try value("(1,)") == .tuple([.int(1)]))
        #expect(try value("()") == .tuple([]))
        #expect(try value("(1)") == .int(1), "parentheses around one value are not a tuple")
        #expect(try value("{'alice', 'bob'}") == .set([.string("alice"), .string("bob")]))
        #expect(try value("set()") == .set([]))
        #expect(try value("{}") == .dict([]))
        let dict = try value("{'a': 1, \"b\": [2, 3], 4: None,}")
        guard case .dict(let entries)? = dict else {
            Issue.record("not a dict: \(String(describing: dict))")
            return
        }
        #expect(entries.map(\.key) == [.string("a"), .string("b"), .int(4)])
        #expect(entries.map(\.value) == [.int(1), .list([.int(2), .int(3)]), .none])
    }

    @Test func nestedContainersAcrossLinesWithComments() throws {
        let values = try parse(
            """
            # the admins
            ADMIN_USERS = {  # a set
                'alice',     # first
                'bob',
            }
            NESTED = [
                (1, [2, {'k': (3,)}]),
                {'deep': {'deeper': [True, False]}},
            ]
            NEXT = 'after'
            """)
        #expect(values["ADMIN_USERS"] == .set([.string("alice"), .string("bob")]))
        #expect(values["NESTED"]?.description == "[(1, [2, {'k': (3,)}]), {'deep': {'deeper': [True, False]}}]")
        guard case .list(let items)? = values["NESTED"], case .tuple(let first) = items[0] else {
            Issue.record("NESTED is not a list starting with a tuple")
            return
        }
        #expect(first.first == .int(1))
        #expect(values["NEXT"] == .string("after"))
    }

    // MARK: - Statements

    @Test func commentsBlankLinesSemicolonsAndOverrides() throws {
        let values = try parse(
            """
            #!/usr/bin/env python
            # -*- coding: utf-8 -*-

            EM_PORT = 8000   # trailing comment
            EM_PORT = 9000
            A = 1; B = 'two';
            \tINDENTED = 3
            """)
        #expect(values == ["EM_PORT": .int(9000), "A": .int(1), "B": .string("two"), "INDENTED": .int(3)])
    }

    @Test func backslashContinuations() throws {
        let values = try parse("LONG = \\\n    5\nNAME \\\n  = 'x'\nAFTER = 'y'\n")
        #expect(values == ["LONG": .int(5), "NAME": .string("x"), "AFTER": .string("y")])
    }

    @Test func windowsLineEndings() throws {
        let values = try parse("A = 1\r\nB = [2,\r\n 3]\r\n# comment\r\nC = 'x'\r\n")
        #expect(values == ["A": .int(1), "B": .list([.int(2), .int(3)]), "C": .string("x")])
    }

    @Test func emptyFile() throws {
        #expect(try parse("") == [:])
        #expect(try parse("\n\n# only comments\n   \n") == [:])
    }

    // MARK: - Rejected syntax

    @Test(
        "unsupported syntax is an error naming the file, line and key",
        arguments: [
            ("import os\n", 1, nil as String?, "unsupported statement `import`"),
            ("A = 1\nfrom os import path\n", 2, nil, "unsupported statement `from`"),
            ("A = 1\n\nSECRET_KEY = os.urandom(24)\n", 3, "SECRET_KEY", "unsupported value `os`"),
            ("X = 1+2\n", 1, "X", "unsupported syntax after the value"),
            ("X = 1 + 2\n", 1, "X", "unsupported syntax after the value"),
            ("X = 'a' + 'b'\n", 1, "X", "unsupported syntax after the value"),
            ("X = [1, 2][0]\n", 1, "X", "unsupported syntax after the value"),
            ("X = path.join\n", 1, "X", "unsupported value `path`"),
            ("X = dict(a=1)\n", 1, "X", "unsupported value `dict`"),
            ("X = set([1])\n", 1, "X", "unsupported value `set`"),
            ("X = [1, y]\n", 1, "X", "unsupported value `y`"),
            ("X = [1 2]\n", 1, "X", "expected `,` or `]`"),
            ("X = {'a' 1}\n", 1, "X", "expected `,` or `}` in a set literal"),
            ("X = {'a': 1 'b': 2}\n", 1, "X", "expected `,` or `}` in a dict literal"),
            ("X = {'a': 1, 'b' 2}\n", 1, "X", "expected `:` in a dict literal"),
            ("X = 'unterminated\n", 1, "X", "unterminated string"),
            ("X = '''never closed\nY = 1", 2, "X", "unterminated string"),
            ("X = [1,\n 2,\n", 3, "X", "missing value"),
            ("X =\n", 1, "X", "missing value"),
            ("X = 12abc\n", 1, "X", "invalid number `12abc`"),
            ("X = 0xZZ\n", 1, "X", "invalid number `0xZZ`"),
            ("X = '\\x4'\n", 1, "X", "invalid \\x escape"),
            ("X = # nothing\n", 1, "X", "missing value"),
            ("X == 1\n", 1, "X", "expected `=` after the name"),
            ("a.b = 1\n", 1, "a", "expected `=` after the name"),
            ("X = b'bytes'\n", 1, "X", "unsupported value `b`"),
            ("def f():\n    pass\n", 1, nil, "unsupported statement `def`"),
            ("if True:\n    X = 1\n", 1, nil, "unsupported statement `if`"),
            ("X = lambda: 1\n", 1, "X", "unsupported value `lambda`"),
            ("print('hi')\n", 1, "print", "expected `=` after the name"),
            ("= 5\n", 1, nil, "expected `NAME = value`"),
            ("A = 1\n  B = 2 C = 3\n", 2, "B", "unsupported syntax after the value"),
        ])
    func rejected(source: String, line: Int, key: String?, reason: String) throws {
        let error = #expect(throws: ConfigurationError.self) { try self.parse(source) }
        #expect(error?.file == "/cfg/service.py")
        #expect(error?.line == line)
        #expect(error?.key == key)
        #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "no error")")
    }

    @Test func errorDescriptionNamesFileLineAndKey() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try self.parse("A = 1\nSECRET_KEY = os.urandom(24)\n")
        }
        let description = try #require(error?.description)
        #expect(description.hasPrefix("/cfg/service.py:2: SECRET_KEY: unsupported value `os`"))
        let noKey = #expect(throws: ConfigurationError.self) { try self.parse("import os\n") }
        #expect(noKey?.description.hasPrefix("/cfg/service.py:1: unsupported statement `import`") == true)
    }

    @Test func errorLineCountsLinesInsideMultiLineValues() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try self.parse("A = [\n  1,\n  2,\n]\nB = '''x\ny'''\nC = open('f')\n")
        }
        #expect(error?.line == 7)
        #expect(error?.key == "C")
    }

    // MARK: - ConfigValue

    @Test func truthinessFollowsPython() {
        let falsy: [ConfigValue] = [
            .none, .bool(false), .int(0), .float(0), .string(""), .list([]), .tuple([]), .set([]), .dict([]),
        ]
        let truthy: [ConfigValue] = [.bool(true), .int(-1), .float(0.5), .string("0"), .list([.none]), .set([.int(0)])]
        #expect(falsy.allSatisfy { !$0.isTruthy })
        #expect(truthy.allSatisfy { $0.isTruthy })
    }

    @Test func elementsAndDescription() throws {
        #expect(ConfigValue.set([.string("a")]).elements == [.string("a")])
        #expect(ConfigValue.string("a").elements == nil)
        #expect(
            ConfigValue.list([.int(1), .string("it's"), .none, .bool(true)]).description == "[1, 'it\\'s', None, True]")
        #expect(ConfigValue.tuple([.int(1)]).description == "(1,)")
        #expect(ConfigValue.set([]).description == "set()")
        #expect(try value("{'k': 1.5, 2: (1,)}")?.description == "{'k': 1.5, 2: (1,)}")
    }
}
