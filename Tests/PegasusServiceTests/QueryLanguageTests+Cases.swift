import GRDB
import Testing

@testable import PegasusService

// The fixtures of QueryLanguageTests: the resources in scope, the expected SQL of each query, the rejected
// queries with their messages, and the SQLite database the semantics tests run on.

// MARK: - Fixtures

let jobResource = QueryResource(
    prefix: "j", sqlAlias: "j",
    columns: ["job_id", "wf_id", "exec_job_id", "submit_file", "type_desc", "clustered", "max_retries", "task_count"])
let workflowResource = QueryResource(
    prefix: "w", sqlAlias: "w", columns: ["wf_id", "wf_uuid", "dag_file_name", "timestamp", "user", "parent_wf_id"])
let workflowMetaResource = QueryResource(prefix: "wm", sqlAlias: "wm", columns: ["wf_id", "key", "value"])

/// Jobs joined with their workflow, plus workflow meta: what the job routes and the RCE example need.
let scope = QueryScope([jobResource, workflowResource, workflowMetaResource])
let jobOnlyScope = QueryScope([jobResource])

/// A compiled-SQL expectation.
struct CompileCase: Sendable, CustomTestStringConvertible {
    let query: String
    let sql: String
    let arguments: [SQLValue]
    var testDescription: String { query }

    init(_ query: String, _ sql: String, _ arguments: [SQLValue] = []) {
        self.query = query
        self.sql = sql
        self.arguments = arguments
    }
}

/// An input that must be rejected, with a part of the expected message.
struct RejectCase: Sendable, CustomTestStringConvertible {
    let input: String
    let message: String
    var testDescription: String { input }

    init(_ input: String, _ message: String) {
        self.input = input
        self.message = message
    }
}

let compileCases: [CompileCase] = [
    // Comparisons
    CompileCase("j.job_id == 1", #"(j."job_id" = ?)"#, [.int(1)]),
    CompileCase("j.job_id != 1", #"(j."job_id" != ?)"#, [.int(1)]),
    CompileCase("j.job_id < 1", #"(j."job_id" < ?)"#, [.int(1)]),
    CompileCase("j.job_id <= 1", #"(j."job_id" <= ?)"#, [.int(1)]),
    CompileCase("j.job_id > 1", #"(j."job_id" > ?)"#, [.int(1)]),
    CompileCase("j.job_id >= 1", #"(j."job_id" >= ?)"#, [.int(1)]),
    CompileCase("j.job_id == j.wf_id", #"(j."job_id" = j."wf_id")"#),
    CompileCase("1 < j.job_id <= 3", #"((? < j."job_id") AND (j."job_id" <= ?))"#, [.int(1), .int(3)]),
    CompileCase(
        "j.wf_id == w.wf_id + 0 == 1", #"((j."wf_id" = (w."wf_id" + ?)) AND ((w."wf_id" + ?) = ?))"#,
        [.int(0), .int(0), .int(1)]),
    // Literals
    CompileCase(#"j.exec_job_id == "a""#, #"(j."exec_job_id" = ?)"#, [.text("a")]),
    CompileCase(#"j.exec_job_id == 'it\'s\n\t\\ "q"'"#, #"(j."exec_job_id" = ?)"#, [.text("it's\n\t\\ \"q\"")]),
    CompileCase(#"j.exec_job_id == "\x41\u00e9\101\0""#, #"(j."exec_job_id" = ?)"#, [.text("A\u{e9}A\u{0}")]),
    CompileCase(#"j.exec_job_id == '50\%'"#, #"(j."exec_job_id" = ?)"#, [.text(#"50\%"#)]),
    CompileCase("j.exec_job_id == ''", #"(j."exec_job_id" = ?)"#, [.text("")]),
    CompileCase("w.timestamp > 1.5", #"(w."timestamp" > ?)"#, [.double(1.5)]),
    CompileCase("w.timestamp > -1.5", #"(w."timestamp" > ?)"#, [.double(-1.5)]),
    CompileCase("w.timestamp > .5", #"(w."timestamp" > ?)"#, [.double(0.5)]),
    CompileCase("w.timestamp > 1e3", #"(w."timestamp" > ?)"#, [.double(1000)]),
    CompileCase("w.timestamp > 2.", #"(w."timestamp" > ?)"#, [.double(2)]),
    CompileCase("j.job_id > -3", #"(j."job_id" > ?)"#, [.int(-3)]),
    CompileCase("j.job_id > - -3", #"(j."job_id" > ?)"#, [.int(3)]),
    CompileCase("j.job_id > +3", #"(j."job_id" > ?)"#, [.int(3)]),
    CompileCase("j.job_id == -9223372036854775808", #"(j."job_id" = ?)"#, [.int(.min)]),
    CompileCase("j.job_id == 9223372036854775807", #"(j."job_id" = ?)"#, [.int(.max)]),
    CompileCase("j.job_id == 0x1F", #"(j."job_id" = ?)"#, [.int(31)]),
    CompileCase("j.job_id == 0o17", #"(j."job_id" = ?)"#, [.int(15)]),
    CompileCase("j.job_id == 0b101", #"(j."job_id" = ?)"#, [.int(5)]),
    CompileCase("j.job_id == 1_000", #"(j."job_id" = ?)"#, [.int(1000)]),
    CompileCase("j.job_id == 0", #"(j."job_id" = ?)"#, [.int(0)]),
    CompileCase("j.clustered == True", #"(j."clustered" = ?)"#, [.int(1)]),
    CompileCase("j.clustered == False", #"(j."clustered" = ?)"#, [.int(0)]),
    // None
    CompileCase("j.max_retries == None", #"(j."max_retries" IS NULL)"#),
    CompileCase("None == j.max_retries", #"(j."max_retries" IS NULL)"#),
    CompileCase("j.max_retries != None", #"(j."max_retries" IS NOT NULL)"#),
    CompileCase("j.max_retries is None", #"(j."max_retries" IS NULL)"#),
    CompileCase("j.max_retries is not None", #"(j."max_retries" IS NOT NULL)"#),
    CompileCase("j.max_retries < None", #"(j."max_retries" < ?)"#, [.null]),
    // in / not in
    CompileCase("j.job_id in (1, 2)", #"(j."job_id" IN (?, ?))"#, [.int(1), .int(2)]),
    CompileCase("j.job_id in [1]", #"(j."job_id" IN (?))"#, [.int(1)]),
    CompileCase("j.job_id in (1,)", #"(j."job_id" IN (?))"#, [.int(1)]),
    CompileCase(
        "j.job_id in (-1, 2.5, None, True, 'x',)", #"(j."job_id" IN (?, ?, ?, ?, ?))"#,
        [.int(-1), .double(2.5), .null, .int(1), .text("x")]),
    CompileCase(#"j.exec_job_id not in ('a', "b")"#, #"(j."exec_job_id" NOT IN (?, ?))"#, [.text("a"), .text("b")]),
    CompileCase("j.job_id in ()", "0"),
    CompileCase("j.job_id in []", "0"),
    CompileCase("j.job_id not in []", "1"),
    CompileCase("not j.job_id in (1, 2)", #"(NOT (j."job_id" IN (?, ?)))"#, [.int(1), .int(2)]),
    // like / ilike
    CompileCase("j.exec_job_id.like('%ID%')", #"(j."exec_job_id" LIKE ? ESCAPE '\')"#, [.text("%ID%")]),
    CompileCase(#"j.exec_job_id.like("a_b")"#, #"(j."exec_job_id" LIKE ? ESCAPE '\')"#, [.text("a_b")]),
    CompileCase("j.exec_job_id.ilike('%id%')", #"(lower(j."exec_job_id") LIKE lower(?) ESCAPE '\')"#, [.text("%id%")]),
    CompileCase("not j.exec_job_id.like('x%')", #"(NOT (j."exec_job_id" LIKE ? ESCAPE '\'))"#, [.text("x%")]),
    // Arithmetic
    CompileCase(
        "j.max_retries + 1 > j.task_count * 2", #"((j."max_retries" + ?) > (j."task_count" * ?))"#, [.int(1), .int(2)]),
    CompileCase(
        "j.max_retries - 1 / 2 == 0", #"((j."max_retries" - (? / ?)) = ?)"#, [.int(1), .int(2), .int(0)]),
    CompileCase(
        "(j.max_retries - 1) / 2 == 0", #"(((j."max_retries" - ?) / ?) = ?)"#, [.int(1), .int(2), .int(0)]),
    CompileCase(
        "j.task_count * 2 * 3 - 1 + 4 < 0", #"(((j."task_count" * ? * ?) - ? + ?) < ?)"#,
        [.int(2), .int(3), .int(1), .int(4), .int(0)]),
    // Truthiness and boolean operators
    CompileCase("j.clustered", #"(j."clustered")"#),
    CompileCase("(j.clustered)", #"(j."clustered")"#),
    CompileCase("not j.clustered", #"(NOT (j."clustered"))"#),
    CompileCase("not not j.clustered", #"(NOT (NOT (j."clustered")))"#),
    CompileCase("j.task_count - 1", #"(j."task_count" - ?)"#, [.int(1)]),
    CompileCase(
        "j.job_id == 1 and j.wf_id == 2 or not j.clustered",
        #"(((j."job_id" = ?) AND (j."wf_id" = ?)) OR (NOT (j."clustered")))"#, [.int(1), .int(2)]),
    CompileCase(
        "j.job_id == 1 and (j.wf_id == 2 or j.clustered)",
        #"((j."job_id" = ?) AND ((j."wf_id" = ?) OR (j."clustered")))"#, [.int(1), .int(2)]),
    CompileCase(
        "j.job_id == 1 or j.job_id == 2 or j.job_id == 3",
        #"((j."job_id" = ?) OR (j."job_id" = ?) OR (j."job_id" = ?))"#, [.int(1), .int(2), .int(3)]),
    CompileCase("j.clustered and j.wf_id", #"((j."clustered") AND (j."wf_id"))"#),
    // Quoted columns, other resources, whitespace
    CompileCase("w.user == 'alice'", #"(w."user" = ?)"#, [.text("alice")]),
    CompileCase("wm.key == 'dax_label'", #"(wm."key" = ?)"#, [.text("dax_label")]),
    CompileCase("  j.job_id\n==\t1\r\n ", #"(j."job_id" = ?)"#, [.int(1)]),
    CompileCase("j . job_id == 1", #"(j."job_id" = ?)"#, [.int(1)]),
    // SQL in a string literal is just a value
    CompileCase(#"j.exec_job_id == "x' OR 1=1 --""#, #"(j."exec_job_id" = ?)"#, [.text("x' OR 1=1 --")]),
]

let rejectedQueries: [RejectCase] = [
    // The Pegasus 5.1.3 RCE and its building blocks
    RejectCase(
        "wm.__init__.__globals__['__builtins__']['__import__']('os').system('id')",
        "names starting with '_' are not allowed ('__init__' at column 4)"),
    RejectCase("w.__class__", "names starting with '_' are not allowed ('__class__' at column 3)"),
    RejectCase("j.exec_job_id.__class__", "('__class__' at column 15)"),
    RejectCase("__import__('os')", "names starting with '_' are not allowed ('__import__' at column 1)"),
    RejectCase("_x.job_id == 1", "('_x' at column 1)"),
    RejectCase("j.exec_job_id.upper()", "function calls other than like/ilike are not allowed ('upper' at column 15)"),
    RejectCase("j.exec_job_id.upper == 'A'", "attribute access is not allowed ('j.exec_job_id.upper' at column 15)"),
    RejectCase(
        "upper(j.exec_job_id) == 'A'", "function calls other than like/ilike are not allowed ('upper' at column 1)"),
    RejectCase("getattr(j, 'x')", "function calls other than like/ilike are not allowed ('getattr' at column 1)"),
    RejectCase("j.job_id(1)", "function calls other than like/ilike are not allowed ('(' at column 9)"),
    RejectCase("j.exec_job_id[0] == 'a'", "subscripts are not allowed ('[' at column 14)"),
    RejectCase("'abc'[0] == 'a'", "subscripts are not allowed ('[' at column 6)"),
    RejectCase("'abc'.upper() == 'A'", "attribute access is not allowed ('.upper' at column 6)"),
    RejectCase("(j.job_id).real == 1", "attribute access is not allowed ('.real' at column 11)"),
    RejectCase("j.exec_job_id.like('a').upper()", "attribute access is not allowed ('.upper' at column 24)"),
    RejectCase(
        "j.exec_job_id.like('a')('b')", "function calls other than like/ilike are not allowed ('(' at column 24)"),
    RejectCase("(lambda: 1)()", "'lambda' is not allowed (at column 2)"),
    RejectCase("j.job_id if True else False", "unexpected 'if' at column 10"),
    // like / ilike arguments
    RejectCase("j.exec_job_id.like(j.exec_job_id)", "like() takes one string literal argument (got 'j' at column 20)"),
    RejectCase("j.exec_job_id.like(1)", "like() takes one string literal argument (got '1' at column 20)"),
    RejectCase("j.exec_job_id.like()", "like() at column 15 needs one string literal argument"),
    RejectCase("j.exec_job_id.like", "'like' at column 15 must be called with a pattern"),
    RejectCase(
        "j.exec_job_id.like('a', escape='x')", "keyword arguments such as escape= are not allowed (',' at column 23)"),
    RejectCase(
        "j.exec_job_id.like(escape='x')", "like() takes one string literal argument (got 'escape' at column 20)"),
    RejectCase("j.exec_job_id.ilike('a', 'b')", "ilike() takes exactly one argument"),
    RejectCase("j.exec_job_id.like(b'a')", "string prefixes are not allowed ('b' at column 20"),
    RejectCase("j.exec_job_id == f'{x}'", "string prefixes are not allowed ('f' at column 18"),
    RejectCase("j.exec_job_id == r'a'", "string prefixes are not allowed ('r' at column 18"),
    RejectCase("j.exec_job_id == rb'a'", "string prefixes are not allowed ('rb' at column 18"),
    // SQL smuggling
    RejectCase("1; DROP TABLE job", "';' is not allowed at column 2"),
    RejectCase("j.job_id == 1; DROP TABLE job", "';' is not allowed at column 14"),
    RejectCase("j.exec_job_id == 'a' -- x", "'--' is not allowed at column 22"),
    RejectCase("j.job_id == 1 # x", "'#' is not allowed at column 15"),
    RejectCase(#"j."exec_job_id" == 'a'"#, #"expected a column name after 'j.' (got '"exec_job_id"' at column 3)"#),
    RejectCase("j.job_id == 1 AND j.wf_id == 1", "unexpected 'AND' at column 15"),
    RejectCase("j.job_id == ?", "unexpected character '?' (U+003F) at column 13"),
    RejectCase("j.job_id == 1 /* x */", "unexpected '*' at column 16"),
    // Names and fields
    RejectCase("j.foo == 1", "unknown field 'j.foo' at column 1"),
    RejectCase("x.job_id == 1", "unknown resource prefix 'x' at column 1 (allowed here: j, w, wm)"),
    RejectCase("exec_job_id == 'a'", "unknown name 'exec_job_id' at column 1"),
    RejectCase("j == 1", "expected '.column' after the resource prefix 'j' at column 1"),
    RejectCase("j.job_id == none", "unknown name 'none' at column 13"),
    RejectCase("j.job_id == null", "unknown name 'null' at column 13"),
    RejectCase("j.job_id.wf_id == 1", "attribute access is not allowed ('j.job_id.wf_id' at column 10)"),
    RejectCase("j.1 == 1", "expected '.column' after the resource prefix 'j' at column 1"),
    RejectCase("é == 1", "unexpected character (U+00E9) at column 1"),
    RejectCase("j.job_id == 1\u{0}", "unexpected character (U+0000) at column 14"),
    // Operators
    RejectCase("j.job_id ** 2 == 4", "'**' is not allowed at column 10"),
    RejectCase("j.job_id // 2 == 1", "'//' is not allowed at column 10"),
    RejectCase("j.job_id % 2 == 1", "'%' is not allowed at column 10"),
    RejectCase("j.job_id & 1", "'&' is not allowed at column 10"),
    RejectCase("j.job_id | 1", "'|' is not allowed at column 10"),
    RejectCase("j.job_id ^ 1", "'^' is not allowed at column 10"),
    RejectCase("~j.job_id", "'~' is not allowed at column 1"),
    RejectCase("j.job_id << 1", "'<<' is not allowed at column 10"),
    RejectCase("j.job_id >> 1", "'>>' is not allowed at column 10"),
    RejectCase("j.job_id @ 1", "'@' is not allowed at column 10"),
    RejectCase("(x := 1)", "':=' is not allowed at column 4"),
    RejectCase("j.job_id = 1", "'=' is not allowed at column 10 (use '=='"),
    RejectCase("j.job_id === 1", "'=' is not allowed at column 12"),
    RejectCase("j.job_id <> 1", "'<>' is not allowed at column 10"),
    RejectCase("!j.clustered", "'!' is not allowed at column 1"),
    RejectCase("{1: 2}", "'{' is not allowed at column 1"),
    RejectCase("j.job_id == 1 \\\n", "'\\' is not allowed at column 15"),
    RejectCase("-j.job_id < 0", "a sign ('-' at column 1) may only precede a number (got 'j' at column 2)"),
    RejectCase("j.job_id is 1", "'is' / 'is not' may only be followed by None (got '1' at column 13)"),
    RejectCase("j.job_id is not j.wf_id", "may only be followed by None (got 'j' at column 17)"),
    RejectCase("j.job_id == not j.clustered", "unexpected 'not' at column 13"),
    // Literals that are not conditions
    RejectCase("1", "a literal is not a condition ('1' at column 1)"),
    RejectCase("True", "a literal is not a condition ('True' at column 1)"),
    RejectCase("None", "a literal is not a condition"),
    RejectCase("'x'", "a literal is not a condition"),
    RejectCase("(1 + 2)", "a literal is not a condition ('(' at column 1)"),
    RejectCase("j.clustered and 1", "a literal is not a condition ('1' at column 17)"),
    RejectCase("0 or j.clustered", "a literal is not a condition ('0' at column 1)"),
    RejectCase("not 1", "a literal is not a condition ('1' at column 5)"),
    // Tuples and lists outside 'in'
    RejectCase("j.job_id == 1,", "',' at column 14 is not allowed here"),
    RejectCase("(1, 2)", "tuples may only follow 'in' / 'not in' (',' at column 3"),
    RejectCase("j.job_id == (1, 2)", "tuples may only follow 'in' / 'not in'"),
    RejectCase("()", "empty parentheses at column 1"),
    RejectCase("[1] == j.job_id", "lists may only follow 'in' / 'not in' ('[' at column 1)"),
    RejectCase(
        "j.job_id in j.wf_id",
        "'in' must be followed by a tuple or list of literals such as (1, 2) (got 'j' at column 13)"),
    RejectCase("j.job_id in (j.wf_id,)", "only literal values are allowed in an 'in' list (got 'j' at column 14)"),
    RejectCase("j.job_id in ((1, 2),)", "only literal values are allowed in an 'in' list (got '(' at column 14)"),
    RejectCase("j.job_id in (1 + 1,)", "unexpected '+' at column 16 (expected ',' or ')')"),
    RejectCase("j.job_id in (1)", "'in' needs a tuple or list (at column 13); write (x,) or [x]"),
    RejectCase("j.job_id in (1, 2]", "unexpected ']' at column 18"),
    RejectCase(
        "j.job_id in (1, 2) == 1",
        "a tuple or list may only be the right-hand side of 'in' / 'not in' ('==' at column 20"),
    // Numbers and strings
    RejectCase("j.job_id == 9223372036854775808", "integer '9223372036854775808' at column 13 does not fit in 64 bits"),
    RejectCase("j.job_id == -9223372036854775809", "does not fit in 64 bits"),
    RejectCase("j.job_id == 99999999999999999999", "integer literal '99999999999999999999' at column 13 is too large"),
    RejectCase("j.job_id == 1e999", "number '1e999' at column 13 is out of range"),
    RejectCase("j.job_id == 1j", "invalid number literal '1j' at column 13"),
    RejectCase("j.job_id == 1_", "invalid number literal '1_' at column 13"),
    RejectCase("j.job_id == 0x", "invalid number literal '0x' at column 13"),
    RejectCase("j.job_id == 0b2", "invalid number literal '0b2' at column 13"),
    RejectCase("j.job_id == 01", "leading zeros are not allowed in integer literals ('01' at column 13)"),
    RejectCase("j.job_id == 1.5.real", "attribute access is not allowed ('.real' at column 16)"),
    RejectCase("j.exec_job_id == 'abc", "unterminated string starting at column 18"),
    RejectCase("j.exec_job_id == 'a\nb'", "unterminated string starting at column 18"),
    RejectCase("j.exec_job_id == '''a'''", "triple-quoted strings are not allowed (column 18)"),
    RejectCase("j.exec_job_id == 'a' 'b'", "unexpected ''b'' at column 22 (expected an operator)"),
    RejectCase(#"j.exec_job_id == '\xZZ'"#, #"invalid '\x' escape in the string at column 19"#),
    RejectCase(#"j.exec_job_id == '\ud800'"#, #"'\u' escape at column 19 is not a valid code point"#),
    RejectCase(#"j.exec_job_id == '\N{BULLET}'"#, #"'\N{...}' escapes are not supported (column 19)"#),
    // Structure
    RejectCase("", "the query is empty"),
    RejectCase("   \n ", "the query is empty"),
    RejectCase("not", "unexpected end of query (expected a field or a value)"),
    RejectCase("j.job_id == 1 and", "unexpected end of query"),
    RejectCase("j.job_id ==", "unexpected end of query"),
    RejectCase("(j.job_id == 1", "unexpected end of query (expected ')')"),
    RejectCase("j.job_id == 1)", "unexpected ')' at column 14"),
    RejectCase("j.job_id 1", "unexpected '1' at column 10 (expected an operator)"),
    RejectCase("and", "unexpected 'and' at column 1"),
]

let orderCases: [(String, String)] = [
    ("-w.wf_id, j.job_id", #"w."wf_id" DESC, j."job_id" ASC"#),
    ("  + j.job_id ,  - w.user  ", #"j."job_id" ASC, w."user" DESC"#),
    ("wm.key", #"wm."key" ASC"#),
    ("j.job_id,j.job_id", #"j."job_id" ASC, j."job_id" ASC"#),
]

let rejectedOrders: [RejectCase] = [
    RejectCase("wf_id", "'wf_id' at column 1 needs a resource prefix (write prefix.column, e.g. 'j.wf_id')"),
    RejectCase("-w.wf_id, exec_job_id", "'exec_job_id' at column 11 needs a resource prefix"),
    RejectCase("r.wf_id", "unknown resource prefix 'r' in 'r.wf_id' at column 1 (allowed here: j, w, wm)"),
    RejectCase("w.wf_i", "unknown field 'w.wf_i' in 'w.wf_i' at column 1"),
    RejectCase("j.job_id, -w.__class__", "unknown field 'w.__class__' in '-w.__class__' at column 11"),
    RejectCase("", "the order is empty"),
    RejectCase("  ", "the order is empty"),
    RejectCase(",", "empty item at column 1"),
    RejectCase("w.wf_id,", "empty item at column 9"),
    RejectCase("w.wf_id,,j.job_id", "empty item at column 9"),
    RejectCase("-", "empty item at column 1"),
    RejectCase("--w.wf_id", "'--' is not allowed at column 1"),
    RejectCase("w.wf_id desc", "unexpected 'desc' at column 9 after 'w.wf_id'"),
    RejectCase("w.wf_id; DROP TABLE job", "';' is not allowed at column 8"),
    RejectCase("j.job_id()", "unexpected '(' at column 9 after 'j.job_id'"),
    RejectCase("w.wf_id.x", "unexpected '.' at column 8 after 'w.wf_id'"),
    RejectCase("1", "expected [+|-]prefix.column, got '1' at column 1"),
    RejectCase("w.'wf_id'", "expected a column name after 'w.' (got ''wf_id'' at column 3)"),
]

// MARK: - Helpers

func compileError(_ text: String, scope: QueryScope = scope) -> QueryError? {
    do {
        _ = try QueryLanguage.compile(text, scope: scope)
        return nil
    } catch {
        return error
    }
}

func orderError(_ text: String, scope: QueryScope = scope) -> QueryError? {
    do {
        _ = try QueryLanguage.compileOrder(text, scope: scope)
        return nil
    } catch {
        return error
    }
}

func databaseValue(_ value: SQLValue) -> (any DatabaseValueConvertible)? {
    switch value {
    case .null: nil
    case .int(let i): i
    case .double(let d): d
    case .text(let s): s
    }
}

/// An in-memory database shaped like the STAMPEDE tables the fields come from.
func makeDatabase() throws -> DatabaseQueue {
    let queue = try DatabaseQueue()
    try queue.write { db in
        try db.execute(
            sql: """
                CREATE TABLE workflow (wf_id INTEGER PRIMARY KEY, wf_uuid TEXT, dag_file_name TEXT, timestamp REAL,
                    "user" TEXT, parent_wf_id INTEGER);
                CREATE TABLE workflow_meta (wf_id INTEGER, "key" TEXT, value TEXT);
                CREATE TABLE job (job_id INTEGER PRIMARY KEY, wf_id INTEGER, exec_job_id TEXT, submit_file TEXT,
                    type_desc TEXT, clustered INTEGER, max_retries INTEGER, task_count INTEGER);
                INSERT INTO workflow VALUES (1, 'uuid-1', 'diamond.dag', 1000.5, 'alice', NULL);
                INSERT INTO workflow VALUES (2, 'uuid-2', 'blackdiamond.dag', 2000.0, 'bob', 1);
                INSERT INTO workflow_meta VALUES (1, 'dax_label', 'diamond'), (2, 'dax_label', 'black'),
                    (2, 'user', 'bob');
                INSERT INTO job VALUES (1, 1, 'preprocess_ID1', 'preprocess_ID1.sub', 'compute', 0, 3, 1);
                INSERT INTO job VALUES (2, 1, 'findrange_ID2', 'findrange_ID2.sub', 'compute', 0, 2, 2);
                INSERT INTO job VALUES (3, 1, 'merge_cluster_1', NULL, 'compute', 1, 0, 5);
                INSERT INTO job VALUES (4, 2, 'stage_in_local_0', 'stage_in.sub', 'stage-in-tx', 0, NULL, 0);
                INSERT INTO job VALUES (5, 2, 'register_50%_done', NULL, 'registration', 0, 1, 1);
                INSERT INTO job VALUES (6, 2, 'register_500_done', NULL, 'registration', 0, 1, 1);
                INSERT INTO job VALUES (7, 2, 'stageXin_remote', NULL, 'stage-in-tx', 0, 1, 4);
                INSERT INTO job VALUES (8, 2, 'Analyze_A', NULL, 'compute', 0, 3, 1);
                INSERT INTO job VALUES (9, 2, 'it''s "q"', NULL, 'compute', 0, 3, 1);
                """)
    }
    return queue
}
