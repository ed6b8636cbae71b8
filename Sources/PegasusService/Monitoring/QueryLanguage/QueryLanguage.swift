/// The `query=` and `order=` languages of the monitoring REST API, compiled to parameterised SQLite SQL.
///
/// Pegasus parses `query=` as a Python expression with `ast` and evaluates it against SQLAlchemy objects;
/// 5.1.3 allowed any attribute, subscript and call, which is a remote code execution
/// (`wm.__init__.__globals__['__builtins__']['__import__']('os').system('id')`). This is a closed
/// reimplementation: a small tokenizer and recursive-descent parser accept exactly the language below,
/// and every literal value leaves as a bound argument (`?`), never inlined into the SQL.
///
/// **Query syntax** (Python expression syntax, a strict subset):
/// - Fields: `prefix.column`, where `prefix` is one of the ``QueryScope``'s resources (`j`, `w`, ...) and
///   `column` is in that resource's column set. The only other names are `None`, `True` and `False`.
///   Names starting with `_` are always rejected.
/// - Literals: integers (decimal, `0x`, `0o`, `0b`, `_` separators), floats (`1.5`, `.5`, `1e3`), a
///   leading `-`/`+` on a number, strings in `'...'` or `"..."` with Python escapes (`\\ \' \" \n \t \r
///   \a \b \f \v \ooo \xhh \uXXXX \UXXXXXXXX`; like Python, an unknown escape such as `\%` keeps its
///   backslash), `None`, `True` (bound as 1), `False` (bound as 0).
/// - Tuples `(1, 2)` / `(1,)` and lists `[1, 2]` of literals, only right of `in` / `not in`.
/// - Comparisons `== != < <= > >=`, `in`, `not in`, `is None`, `is not None`. A chain (`1 < j.x < 5`) means
///   the links joined with AND, as in Python.
/// - Arithmetic `+ - * /` between fields and literals (SQLite semantics: `5 / 2` is 2, `x / 0` is NULL).
/// - `and`, `or`, `not`, parentheses; Python precedence.
/// - `field.like('pattern')` and `field.ilike('pattern')`, with exactly one string literal argument.
///
/// Everything else is an error: other calls, attributes and names, subscripts, lambdas, keyword arguments,
/// string prefixes (`f'...'`, `b'...'`, `r'...'`), `**`, `//`, `%`, bitwise operators, `:=`, `;`, `#` and
/// `--` comments. Inputs are limited to 4 KiB (UTF-8), 1,000 tokens and 64 nested levels (`(`, `[` and
/// `not`), which keeps the parser's recursion shallow whatever the input.
///
/// **Semantics** (SQLAlchemy on SQLite):
/// - `x == None` and `x is None` become `x IS NULL`; `x != None` and `x is not None` become `x IS NOT NULL`.
/// - `x in ()` is `0` (false), `x not in ()` is `1` (true).
/// - `x.like(p)` is `x LIKE ? ESCAPE '\'`: `%` and `_` are wildcards, `\%`, `\_` and `\\` match a literal
///   character. As SQLite's `LIKE` is case-insensitive for ASCII, so is `like` (as with SQLAlchemy on
///   SQLite); `x.ilike(p)` is `lower(x) LIKE lower(?) ESCAPE '\'`, case-insensitive for all of Unicode that
///   SQLite's `lower` knows (ASCII without ICU).
/// - A field on its own is a truth test: `j.clustered` is `(j."clustered")`. A literal on its own (`1`,
///   `True`) is not a condition and is rejected.
///
/// **Order syntax**: a comma list of `[+|-]prefix.column` (`+` or nothing: ascending; `-`: descending),
/// whitespace allowed around items. Empty items, bare columns without a prefix, unknown prefixes and
/// unknown columns are errors (Pegasus answers a bare column with a 500; we answer INVALID_ORDER).
///
/// Empty `query=`/`order=` parameters mean "no filter"/"no ordering" in Pegasus; callers should skip them
/// rather than compile them (compiling an empty text is an error).
public enum QueryLanguage {
    /// Compiles a `query=` expression to the body of a WHERE clause, e.g. `(j."exec_job_id" LIKE ? ESCAPE '\')`.
    /// - Throws: ``QueryError`` with code ``QueryError/invalidQuery`` and a message
    ///   `Invalid query: <reason> ... at column <n>` (columns count Unicode scalars from 1).
    public static func compile(_ text: String, scope: QueryScope) throws(QueryError) -> SQLFragment {
        try compile(text, scope: scope, limits: .standard)
    }

    /// Compiles an `order=` list to the body of an ORDER BY clause, e.g. `w."wf_id" DESC, j."job_id" ASC`.
    /// - Throws: ``QueryError`` with code ``QueryError/invalidOrder`` and a message `Invalid order: <reason>`
    ///   naming the offending item.
    public static func compileOrder(_ text: String, scope: QueryScope) throws(QueryError) -> String {
        try compileOrder(text, scope: scope, limits: .standard)
    }

    static func compile(_ text: String, scope: QueryScope, limits: QueryLimits) throws(QueryError) -> SQLFragment {
        do {
            try limits.checkLength(of: text, what: "query")
            var parser = QueryParser(text, scope: scope, limits: limits)
            let node = try parser.parseQuery()
            var writer = QuerySQLWriter()
            writer.writeCondition(node)
            return SQLFragment(sql: writer.sql, arguments: writer.arguments)
        } catch {
            throw QueryError(code: QueryError.invalidQuery, message: "Invalid query: \(error.detail)")
        }
    }

    static func compileOrder(_ text: String, scope: QueryScope, limits: QueryLimits) throws(QueryError) -> String {
        do {
            try limits.checkLength(of: text, what: "order")
            var parser = OrderParser(text, scope: scope, limits: limits)
            return try parser.parseOrder()
        } catch {
            throw QueryError(code: QueryError.invalidOrder, message: "Invalid order: \(error.detail)")
        }
    }
}
