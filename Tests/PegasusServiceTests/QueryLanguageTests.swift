import GRDB
import Testing

@testable import PegasusService

// MARK: - Tests

@Suite struct QueryLanguageTests {
    let database: DatabaseQueue

    init() throws {
        database = try makeDatabase()
    }

    /// The ids of the jobs (joined with their workflow) matching `query`, ordered by `order` or by job id.
    private func jobIDs(_ query: String, order: String? = nil, scope: QueryScope = scope) throws -> [Int64] {
        let fragment = try QueryLanguage.compile(query, scope: scope)
        let orderBy = try order.map { try QueryLanguage.compileOrder($0, scope: scope) } ?? #"j."job_id" ASC"#
        return try database.read { db in
            try Int64.fetchAll(
                db,
                sql: "SELECT j.job_id FROM job j JOIN workflow w ON w.wf_id = j.wf_id WHERE \(fragment.sql) "
                    + "ORDER BY \(orderBy)",
                arguments: StatementArguments(fragment.arguments.map(databaseValue)))
        }
    }

    // MARK: Compiled SQL

    @Test(arguments: compileCases)
    func compilesToParameterisedSQL(_ expected: CompileCase) throws {
        let fragment = try QueryLanguage.compile(expected.query, scope: scope)
        #expect(fragment == SQLFragment(sql: expected.sql, arguments: expected.arguments))
        // Placeholders and arguments always line up.
        #expect(fragment.sql.filter { $0 == "?" }.count == fragment.arguments.count)
    }

    @Test func literalValuesAreNeverInlined() throws {
        let fragment = try QueryLanguage.compile(
            #"j.exec_job_id == 'secret' or j.job_id in (4242, 'other') or w.timestamp > 1.25"#, scope: scope)
        for literal in ["secret", "4242", "other", "1.25"] {
            #expect(!fragment.sql.contains(literal))
        }
        #expect(fragment.arguments == [.text("secret"), .int(4242), .text("other"), .double(1.25)])
    }

    @Test func compilesOrderLists() throws {
        for (order, expected) in orderCases {
            #expect(try QueryLanguage.compileOrder(order, scope: scope) == expected, "\(order)")
        }
    }

    // MARK: Rejections

    @Test(arguments: rejectedQueries)
    func rejectsQuery(_ rejected: RejectCase) {
        let error = compileError(rejected.input)
        #expect(error?.code == "INVALID_QUERY")
        #expect(error?.message.hasPrefix("Invalid query: ") == true)
        #expect(error?.message.contains(rejected.message) == true, "\(error?.message ?? "compiled")")
    }

    @Test(arguments: rejectedOrders)
    func rejectsOrder(_ rejected: RejectCase) {
        let error = orderError(rejected.input)
        #expect(error?.code == "INVALID_ORDER")
        #expect(error?.message.hasPrefix("Invalid order: ") == true)
        #expect(error?.message.contains(rejected.message) == true, "\(error?.message ?? "compiled")")
    }

    @Test func errorMessagesNameTheTokenAndColumn() {
        #expect(
            compileError("j.job_id == 1 and j.foo == 2")
                == QueryError(code: "INVALID_QUERY", message: "Invalid query: unknown field 'j.foo' at column 19"))
        #expect(
            compileError("j.exec_job_id.upper() == 'A'")
                == QueryError(
                    code: "INVALID_QUERY",
                    message:
                        "Invalid query: function calls other than like/ilike are not allowed ('upper' at column 15)"))
        #expect(
            orderError("-w.wf_id, w.nope")
                == QueryError(
                    code: "INVALID_ORDER", message: "Invalid order: unknown field 'w.nope' in 'w.nope' at column 11"))
    }

    @Test func fieldsOfResourcesOutsideTheScopeAreRejected() {
        // The job routes only allow `j`; `w` and `wm` exist elsewhere but not here.
        #expect(
            compileError("w.wf_id == 1", scope: jobOnlyScope)?.message
                == "Invalid query: unknown resource prefix 'w' at column 1 (allowed here: j)")
        #expect(compileError("j.job_id == 1 or wm.key == 'x'", scope: jobOnlyScope)?.code == "INVALID_QUERY")
        #expect(orderError("w.wf_id", scope: jobOnlyScope)?.message.contains("unknown resource prefix 'w'") == true)
        #expect(compileError("j.job_id == 1", scope: QueryScope([]))?.message.contains("(allowed here: )") == true)
        // A column of another resource is not a column of this one.
        #expect(
            compileError("j.wf_uuid == 'x'", scope: scope)?.message
                == "Invalid query: unknown field 'j.wf_uuid' at column 1")
    }

    // MARK: Limits

    @Test func rejectsOversizedInput() {
        let megabyte = "j.exec_job_id == '" + String(repeating: "a", count: 1_000_000) + "'"
        let error = compileError(megabyte)
        #expect(error?.code == "INVALID_QUERY")
        #expect(error?.message == "Invalid query: the query is too long (1000019 bytes; at most 4096 are allowed)")
        #expect(orderError(String(repeating: "w.wf_id,", count: 1000))?.message.contains("too long") == true)

        // Exactly 4 KiB is fine; one byte more is not. Bytes count in UTF-8.
        let prefix = "j.exec_job_id == '"
        let fits = prefix + String(repeating: "a", count: 4096 - prefix.utf8.count - 1) + "'"
        #expect(fits.utf8.count == 4096)
        #expect(compileError(fits) == nil)
        #expect(compileError(prefix + String(repeating: "a", count: 4096 - prefix.utf8.count) + "'") != nil)
        let accented = prefix + String(repeating: "é", count: 2039) + "'"
        #expect(accented.count < 4096 && accented.utf8.count > 4096)
        #expect(compileError(accented)?.message.contains("too long") == true)
    }

    @Test func rejectsMoreThanAThousandTokens() {
        // `j . job_id in (` is 5 tokens; each `1,` is 2; `)` is 1.
        let exactly1000 = "j.job_id in (" + String(repeating: "1,", count: 497) + ")"
        #expect(compileError(exactly1000) == nil)
        let tooMany = "j.job_id in (" + String(repeating: "1,", count: 498) + ")"
        #expect(compileError(tooMany)?.message.contains("too many tokens (more than 1000)") == true)
        #expect(
            orderError(String(repeating: "w.wf_id,", count: 300) + "w.wf_id")?.message.contains("too many tokens")
                == true)
    }

    @Test func limitsNestingTo64Levels() {
        let parens64 = String(repeating: "(", count: 64) + "j.clustered" + String(repeating: ")", count: 64)
        #expect(compileError(parens64) == nil)
        let parens65 = String(repeating: "(", count: 65) + "j.clustered" + String(repeating: ")", count: 65)
        #expect(
            compileError(parens65)?.message == "Invalid query: the query is nested deeper than 64 levels (at column 65)"
        )

        #expect(compileError(String(repeating: "not ", count: 64) + "j.clustered") == nil)
        #expect(
            compileError(String(repeating: "not ", count: 65) + "j.clustered")?.message.contains("deeper than 64")
                == true)
        let mixed = String(repeating: "not (", count: 33) + "j.clustered" + String(repeating: ")", count: 33)
        #expect(compileError(mixed)?.message.contains("deeper than 64") == true)
    }

    @Test func tenThousandLevelsFailClosedWithoutCrashing() {
        let parens = String(repeating: "(", count: 10_000) + "j.clustered" + String(repeating: ")", count: 10_000)
        let nots = String(repeating: "not ", count: 10_000) + "j.clustered"
        let lists = "j.job_id in " + String(repeating: "[", count: 10_000)
        for text in [parens, nots, lists] {
            // With the API's limits the size limit stops these first ...
            #expect(compileError(text)?.code == "INVALID_QUERY")
            // ... and without size and token limits the depth limit still stops the recursion.
            let unlimited = QueryLimits(maxBytes: .max, maxTokens: .max, maxDepth: 64)
            #expect(throws: QueryError.self) { try QueryLanguage.compile(text, scope: scope, limits: unlimited) }
        }
        let unlimited = QueryLimits(maxBytes: .max, maxTokens: .max, maxDepth: 64)
        do {
            _ = try QueryLanguage.compile(parens, scope: scope, limits: unlimited)
            Issue.record("compiled")
        } catch {
            #expect(error.message.contains("nested deeper than 64 levels (at column 65)"))
        }
        // Long flat chains are iterative, not recursive.
        let chain = Array(repeating: "j.clustered", count: 5_000).joined(separator: " or ")
        #expect((try? QueryLanguage.compile(chain, scope: scope, limits: unlimited))?.sql.hasPrefix("((j.") == true)
    }

    // MARK: Semantics against SQLite

    @Test func comparisonsSelectTheRightRows() throws {
        #expect(try jobIDs("j.job_id == 1") == [1])
        #expect(try jobIDs("j.job_id != 1 and j.wf_id == 1") == [2, 3])
        #expect(try jobIDs("j.job_id < 3") == [1, 2])
        #expect(try jobIDs("j.job_id <= 3") == [1, 2, 3])
        #expect(try jobIDs("j.job_id > 7") == [8, 9])
        #expect(try jobIDs("j.job_id >= 7") == [7, 8, 9])
        #expect(try jobIDs("1 < j.job_id <= 3") == [2, 3])
        #expect(try jobIDs("j.type_desc == 'stage-in-tx'") == [4, 7])
        #expect(try jobIDs("j.clustered == True") == [3])
        #expect(try jobIDs("j.clustered == False and j.wf_id == 1") == [1, 2])
        #expect(try jobIDs(#"j.exec_job_id == 'it\'s "q"'"#) == [9])
        #expect(try jobIDs("w.timestamp > 1500.25 and j.type_desc == 'compute'") == [8, 9])
        #expect(try jobIDs("w.timestamp < -1.5") == [])
    }

    @Test func noneBecomesNullTests() throws {
        #expect(try jobIDs("j.max_retries == None") == [4])
        #expect(try jobIDs("j.max_retries is None") == [4])
        #expect(try jobIDs("None == j.max_retries") == [4])
        #expect(try jobIDs("j.max_retries != None and j.wf_id == 1") == [1, 2, 3])
        #expect(try jobIDs("j.submit_file is not None") == [1, 2, 4])
        #expect(try jobIDs("w.parent_wf_id == None") == [1, 2, 3])
        // An ordinary comparison with NULL matches nothing, as in SQL.
        #expect(try jobIDs("j.max_retries < None") == [])
    }

    @Test func inAndNotIn() throws {
        #expect(try jobIDs("j.job_id in (1, 3)") == [1, 3])
        #expect(try jobIDs("j.job_id in [2]") == [2])
        #expect(try jobIDs("j.type_desc in ('registration', 'nope')") == [5, 6])
        #expect(try jobIDs("j.job_id not in (1, 3, 4, 5, 6, 7, 8)") == [2, 9])
        #expect(try jobIDs("j.job_id in ()") == [])
        #expect(try jobIDs("j.job_id not in ()") == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(try jobIDs("not j.job_id in (1, 2, 3, 4, 5, 6, 7)") == [8, 9])
    }

    @Test func likeAndIlike() throws {
        #expect(try jobIDs("j.exec_job_id.like('%ID%')") == [1, 2])
        // `%` and `_` are wildcards ...
        #expect(try jobIDs("j.exec_job_id.like('register_50%')") == [5, 6])
        #expect(try jobIDs("j.exec_job_id.like('stage_in%')") == [4, 7])
        // ... and a backslash makes them literal (ESCAPE '\'); Python keeps the backslash of '\%' and '\_'.
        #expect(try jobIDs(#"j.exec_job_id.like('register_50\\%%')"#) == [5])
        #expect(try jobIDs(#"j.exec_job_id.like('register_50\%%')"#) == [5])
        #expect(try jobIDs(#"j.exec_job_id.like('stage\_in%')"#) == [4])
        // SQLite's LIKE is case-insensitive for ASCII, as with SQLAlchemy on SQLite; ilike is too.
        #expect(try jobIDs("j.exec_job_id.like('analyze%')") == [8])
        #expect(try jobIDs("j.exec_job_id.ilike('ANALYZE%')") == [8])
        #expect(try jobIDs("j.exec_job_id.ilike('%id%') and not j.exec_job_id.like('%2')") == [1])
        #expect(try jobIDs("j.submit_file.like('%')") == [1, 2, 4])
    }

    @Test func arithmeticFollowsSQLite() throws {
        #expect(try jobIDs("j.max_retries + 1 > j.task_count * 2") == [1, 8, 9])
        #expect(try jobIDs("j.task_count - j.max_retries == 5") == [3])
        // Integer division, as SQLite does it.
        #expect(try jobIDs("j.task_count / 2 == 2") == [3, 7])
        #expect(try jobIDs("j.task_count / 2.0 == 2.5") == [3])
        // Division by zero is NULL.
        #expect(try jobIDs("j.task_count / 0 is None and j.wf_id == 1") == [1, 2, 3])
        #expect(try jobIDs("j.task_count * -1 < -3") == [3, 7])
    }

    @Test func booleanOperatorsAndTruthiness() throws {
        #expect(try jobIDs("j.clustered") == [3])
        #expect(try jobIDs("not j.clustered and j.wf_id == 1") == [1, 2])
        #expect(try jobIDs("j.job_id == 1 or j.job_id == 2 and j.wf_id == 2") == [1])
        #expect(try jobIDs("(j.job_id == 1 or j.job_id == 2) and j.wf_id == 1") == [1, 2])
        #expect(try jobIDs("j.max_retries and j.wf_id == 1") == [1, 2])
        #expect(try jobIDs("not (j.wf_id == 2 or j.clustered)") == [1, 2])
    }

    @Test func quotedColumnsAndOtherResources() throws {
        #expect(try jobIDs("w.user == 'bob' and j.type_desc == 'compute'") == [8, 9])
        let fragment = try QueryLanguage.compile("wm.key == 'dax_label' and wm.value.like('b%')", scope: scope)
        let ids = try database.read { db in
            try Int64.fetchAll(
                db, sql: "SELECT wm.wf_id FROM workflow_meta wm WHERE \(fragment.sql)",
                arguments: StatementArguments(fragment.arguments.map(databaseValue)))
        }
        #expect(ids == [2])
    }

    @Test func orderByClausesSort() throws {
        #expect(try jobIDs("j.job_id < 5", order: "-w.wf_id, -j.job_id") == [4, 3, 2, 1])
        #expect(try jobIDs("j.job_id < 5", order: "-w.wf_id, +j.job_id") == [4, 1, 2, 3])
        #expect(try jobIDs("j.wf_id == 2", order: "j.task_count, -j.job_id") == [4, 9, 8, 6, 5, 7])
    }

    @Test func sqlInjectionThroughStringLiteralsMatchesNothing() throws {
        for attack in [
            #"j.exec_job_id == "x' OR 1=1 --""#,
            #"j.exec_job_id == 'x\' OR \'1\'=\'1'"#,
            #"j.exec_job_id == "'); DROP TABLE job; --""#,
            #"j.exec_job_id.like("%' OR '1'='1")"#,
            #"j.exec_job_id in ("x') OR (1=1", "y")"#,
        ] {
            #expect(try jobIDs(attack) == [], "\(attack)")
        }
        let count = try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") }
        #expect(count == 9)
    }

    @Test func maliciousInputsFailClosed() throws {
        for attack in [
            "wm.__init__.__globals__['__builtins__']['__import__']('os').system('id')",
            "w.__class__", "j.exec_job_id.upper()", "j.exec_job_id[0]", "__import__('os')",
            "j.exec_job_id.like(j.exec_job_id)", "(lambda: 1)()", "j.exec_job_id.like('a', escape='x')",
            "1; DROP TABLE job", "j.exec_job_id == 'a' -- x", #"j."exec_job_id""#,
            "j.exec_job_id.like('%').__class__", "j.__dict__", "j.job_id.__add__(1)", "type(j)",
            "[c for c in ().__class__.__bases__]",
        ] {
            #expect(compileError(attack)?.code == "INVALID_QUERY", "\(attack)")
        }
        // The job table survived everything.
        #expect(try jobIDs("j.job_id > 0").count == 9)
    }
}
