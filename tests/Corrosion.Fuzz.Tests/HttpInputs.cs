using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Fuzz.Tests;

/// <summary>One HTTP request of the API campaign.</summary>
internal sealed record HttpInput(string Method, string Path, byte[]? Body, string? Token, string Shape)
{
    public override string ToString() =>
        $"{Method} {Path} token={Token ?? "-"} [{Shape}] {(Body is null ? "(no body)" : Encoding.UTF8.GetString(Body.AsSpan(0, Math.Min(Body.Length, 600))))}{(Body is { Length: > 600 } ? $"… ({Body.Length} bytes)" : string.Empty)}";
}

/// <summary>
/// Generators for the HTTP campaign: statements from a small SQL grammar over the fuzz schema (valid,
/// refused and hostile), every statement shape with parameters of every JSON type, random JSON,
/// byte-mutated bodies, invalid UTF-8, deep and huge bodies; against every endpoint with good,
/// weaker and wrong tokens.
/// </summary>
internal static class HttpInputs
{
    private static readonly ConcurrentDictionary<string, object> Cache = new(StringComparer.Ordinal);
    private static readonly string[] Tables = ["items", "pairs", "vault_guard", "items__corro_clock", "__corro_versions", "sqlite_master", "nope", "\"items\"", "main.items", "temp.x"];
    private static readonly string[] Columns = ["id", "name", "data", "score", "a", "b", "v", "*", "rowid", "secret", "nope"];

    private static Gen<string> Literal() => Once("literal", () => Gen.Frequency(
        (3, Gen.Choose(-1000, 1000).Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Elements("9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e308", "1e999", "-0.0", "0x7fffffffffffffff", "NULL", "TRUE", "''", "'it''s'", "x'00ff'", "x'zz'", "'\u00e9\u0000'", "'" + new string('a', 3000) + "'")),
        (2, Gen.Elements("?", "?1", "?2", "?999", ":id", ":name", "@v", "$x", ":", "?0", "?32767")),
        (1, Gen.Elements("randomblob(16)", "zeroblob(100)", "length(name)", "abs(-9223372036854775807 - 1)", "printf('%.*c', 100, 'x')", "hex(data)", "json('[1,2]')", "char(0)", "unicode('')", "load_extension('x')", "corro_version()", "sqlite_version()", "random()", "replace(hex(zeroblob(10000)), '00', 'ab')"))));

    private static Gen<string> Expression() => Once("expression", () => Gen.Frequency(
        (4, Literal()),
        (3, Gen.Elements(Columns)),
        (2, from l in Gen.Elements(Columns) from op in Gen.Elements("=", "<", "<>", "IS", "+", "||", "/", "%", "LIKE", "GLOB", "IN") from r in Literal() select op == "IN" ? $"{l} IN ({r}, {r})" : $"{l} {op} {r}"),
        (1, from e in Literal() from t in Gen.Elements("INTEGER", "TEXT", "BLOB", "REAL", "ANY") select $"CAST({e} AS {t})"),
        (1, from t in Gen.Elements(Tables) select $"(SELECT count(*) FROM {t})")));

    private static Gen<string> Where() => Once("where", () => Gen.Frequency((2, Gen.Constant(string.Empty)), (3, Expression().Select(e => " WHERE " + e))));

    public static Gen<string> Sql() => Once("sql", () => Gen.Frequency(
        (6, from cols in Gen.Elements("*", "id, name", "count(*)", "a, b, v", "rowid, *", "name, data, score") from t in Gen.Elements(Tables) from w in Where() from tail in Gen.Elements("", " ORDER BY 1", " LIMIT 3", " LIMIT -1", " GROUP BY 1", " ORDER BY random() LIMIT 1 OFFSET 1")
            select $"SELECT {cols} FROM {t}{w}{tail}"),
        (2, from e in Expression() select "SELECT " + e),
        (5, from verb in Gen.Elements("INSERT", "INSERT OR REPLACE", "INSERT OR IGNORE", "REPLACE") from t in Gen.Elements("items", "items", "pairs", "vault_guard", "nope", "items__corro_pks")
            from a in Literal() from b in Literal() from c in Literal()
            from tail in Gen.Elements("", " ON CONFLICT DO NOTHING", " ON CONFLICT (id) DO UPDATE SET name = excluded.name", " RETURNING *")
            select t == "pairs" ? $"{verb} INTO pairs (a, b, v) VALUES ({a}, {b}, {c}){tail}" : $"{verb} INTO {t} (id, name, score) VALUES ({a}, {b}, {c}){tail}"),
        (4, from t in Gen.Elements("items", "pairs", "vault_guard", "__corro_versions") from col in Gen.Elements(Columns) from e in Expression() from w in Where() select $"UPDATE {t} SET {col} = {e}{w}"),
        (3, from t in Gen.Elements("items", "pairs", "vault_guard", "items__corro_clock") from w in Where() select $"DELETE FROM {t}{w}"),
        (2, Gen.Elements(
            "PRAGMA writable_schema = 1", "PRAGMA table_info(vault_guard)", "ATTACH DATABASE '/tmp/x.db' AS x", "DETACH x", "BEGIN", "COMMIT", "ROLLBACK", "END",
            "SAVEPOINT s", "RELEASE s", "ROLLBACK TO s", "VACUUM", "ANALYZE", "REINDEX", "CREATE TABLE t (x)", "CREATE VIEW v AS SELECT * FROM vault_guard",
            "CREATE TEMP TABLE t (x)", "CREATE TRIGGER tr AFTER INSERT ON items BEGIN DELETE FROM vault_guard; END", "DROP TABLE items", "ALTER TABLE items ADD COLUMN z",
            "CREATE INDEX i ON items (name)", "DROP INDEX IF EXISTS i", "CREATE VIRTUAL TABLE f USING fts5(x)", "SELECT load_extension('/lib/x.so')",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, id FROM c, items",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5000) SELECT x FROM c",
            "SELECT randomblob(100000000)", "SELECT zeroblob(1000000000)", "INSERT INTO items (id, data) VALUES (77, zeroblob(50000000))",
            "SELECT * FROM items; SELECT * FROM pairs", "INSERT INTO items (id) VALUES (90); DELETE FROM vault_guard", "-- only a comment", ";;;", "", "   ",
            "SELECT 1 /* unterminated", "SELECT '\u0000'", "SELECT \"\u00ff\"", "\u0000", "SELECT * FROM items WHERE id = ?; SELECT ?2")),
        (1, Gen.Elements(Tables).Select(t => $"SELECT * FROM {t} " + string.Concat(Enumerable.Repeat("JOIN items USING (id) ", 70)))),
        (1, from words in Gen.ArrayOf(Gen.Elements("SELECT", "FROM", "WHERE", "items", "(", ")", ",", "*", "?", ":x", "'", "\"", ";", "--", "NULL", "1", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "=", "DELETE")) select string.Join(' ', words))));

    private static Gen<object?> ParamValue() => Once("param", () => Gen.Frequency(
        (3, Gen.Choose(-1000, 1000).Select(i => (object?)i)),
        (2, Gen.Elements<object?>(null, true, false, "text", "", "\u0000", "é", new string('x', 2000), long.MaxValue, long.MinValue, 0.5, -0.0, double.Epsilon, 1e300)),
        (1, Gen.Elements<object?>(new RawJson("1e400"), new RawJson("-1e400"), new RawJson("18446744073709551616"), new RawJson("1.0"), new RawJson("-0"), new RawJson("123456789012345678901234567890"), new RawJson("0.1e-400"))),
        (1, Gen.Elements<object?>(new byte[] { 1, 2, 255 }, new RawJson("[256]"), new RawJson("[-1]"), new RawJson("[1.5]"), new RawJson("[]"), new RawJson("{\"blob\":\"00ff\"}"), new RawJson("{\"blob\":\"zz\"}"), new RawJson("{\"blob\":1}"), new RawJson("{}"), new RawJson("[[1]]"), new RawJson("{\"x\":[1,{\"y\":null}]}")))));

    /// <summary>A JSON fragment written as is.</summary>
    private sealed record RawJson(string Json);

    private static Gen<string> Statement() => Once("statement", () => Gen.Frequency(
        (3, Sql().Select(Quote)),
        (2, from sql in Sql() from n in Gen.Choose(0, 4) from ps in Gen.ListOf(ParamValue(), n) select $"[{Quote(sql)}, [{string.Join(", ", ps.Select(ToJson))}]]"),
        (2, from sql in Sql() from names in Gen.ArrayOf(Gen.Elements("id", ":id", "@name", "$v", "x", "", ":", "é", "1", "id")) from ps in Gen.ArrayOf(ParamValue())
            select $"[{Quote(sql)}, {{{string.Join(", ", names.Zip(ps, (k, v) => $"{Quote(k)}: {ToJson(v)}"))}}}]"),
        (2, from sql in Sql() from ps in Gen.ArrayOf(ParamValue()) from shape in Gen.Choose(0, 6)
            select shape switch
            {
                0 => $"{{\"query\": {Quote(sql)}}}",
                1 => $"{{\"query\": {Quote(sql)}, \"params\": [{string.Join(", ", ps.Select(ToJson))}]}}",
                2 => $"{{\"query\": {Quote(sql)}, \"named_params\": {{\"id\": 1}}}}",
                3 => $"{{\"query\": {Quote(sql)}, \"params\": [1], \"named_params\": {{\"id\": 1}}}}",
                4 => $"{{\"query\": 1}}",
                5 => $"{{\"query\": {Quote(sql)}, \"extra\": true}}",
                _ => $"{{\"params\": []}}",
            }),
        (1, Gen.Elements("null", "1", "true", "[]", "[1, 2, 3]", "{}", "[\"SELECT 1\", [1], 3]", "[1]", "[null]", "[\"SELECT 1\", 5]"))));

    /// <summary>
    /// A generator built once: query syntax rebuilds the generators named inside its lambdas for every
    /// sample, which made generating an input cost more than sending it.
    /// </summary>
    private static Gen<T> Once<T>(string key, Func<Gen<T>> make) => (Gen<T>)Cache.GetOrAdd(key, _ => make());

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    private static string ToJson(object? value) => value switch
    {
        RawJson raw => raw.Json,
        byte[] bytes => "[" + string.Join(",", bytes) + "]",
        double d when !double.IsFinite(d) => "null",
        _ => JsonSerializer.Serialize(value),
    };

    private static Gen<string> Statements() => Once("statements", () => Gen.Frequency(
        (6, from n in Gen.Choose(1, 4) from list in Gen.ListOf(Statement(), n) select "[" + string.Join(", ", list) + "]"),
        (1, from list in Gen.ArrayOf(Statement()) select "[" + string.Join(", ", list) + "]"),
        (1, from n in Gen.Choose(100, 2000) select "[" + string.Join(", ", Enumerable.Range(0, n).Select(i => $"\"INSERT OR REPLACE INTO items (id, name) VALUES ({i % 50 + 1000}, 'bulk')\"")) + "]"),
        (1, Statement())));

    private static Gen<string> RandomJson(int depth) => Once("json" + depth, () => depth <= 0
        ? Gen.Elements("null", "true", "0", "-1.5e3", "\"s\"", "\"\\u0000\"", "\"\\ud800\"", "[]", "{}", "1e400")
        : Gen.Frequency(
            (3, RandomJson(0)),
            (1, from n in Gen.Choose(0, 5) from l in Gen.ListOf(RandomJson(depth - 1), n) select "[" + string.Join(",", l) + "]"),
            (1, from n in Gen.Choose(0, 5) from keys in Gen.ArrayOf(Gen.Elements("query", "params", "named_params", "tables", "a", ""), n) from values in Gen.ArrayOf(RandomJson(depth - 1), n)
                select "{" + string.Join(",", keys.Zip(values, (k, v) => $"\"{k}\":{v}")) + "}")));

    private static Gen<byte[]> Utf8(Gen<string> text) => text.Select(Encoding.UTF8.GetBytes);

    private static Gen<byte[]> Body(string name, Gen<string> valid) => Once("body " + name, () => Gen.Frequency(
        (40, Utf8(valid)),
        (25, Utf8(valid).SelectMany(ByteMutator.Mutate)),
        (8, Utf8(RandomJson(3))),
        (5, from bytes in Utf8(valid) from at in Gen.Choose(0, 1000) from bad in Gen.Elements<byte[]>([0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80])
            select (byte[])[.. bytes.AsSpan(0, Math.Min(at, bytes.Length)), .. bad, .. bytes.AsSpan(Math.Min(at, bytes.Length))]),
        (3, from depth in Gen.Choose(60, 20000) from open in Gen.Elements("[", "{\"a\":", "[{\"query\":")
            select Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(open, depth)) + "1" + new string(open == "[" ? ']' : '}', open == "[{\"query\":" ? 0 : depth))),
        (1, from n in Gen.Choose(256 * 1024 + 1, 400 * 1024) select Encoding.UTF8.GetBytes("[\"" + new string('x', n) + "\"]")),
        (4, from n in Gen.Choose(0, 512) from seed in Gen.Choose(0, int.MaxValue) select RandomBytes(n, seed)),
        (4, Gen.Elements("", " ", "\n", "null", "{}", "[]", "\"\"", "[\"\"]", "\"SELECT 1\"", "\u00EF\u00BB\u00BF\"SELECT 1\"").Select(Encoding.UTF8.GetBytes))));

    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Gen<string?> Token() => Once("token", () => Gen.Frequency(
        (14, Gen.Constant<string?>(FuzzNode.WriterToken)),
        (3, Gen.Constant<string?>(FuzzNode.ReaderToken)),
        (1, Gen.Elements<string?>(null, "", "fuzz-write", FuzzNode.WriterToken + " ", "Fuzz-Writer", "x", new string('t', 5000)))));

    private static Gen<string> Query(params string[] options) => Gen.Frequency((3, Gen.Constant(string.Empty)), (1, Gen.Elements(options)));

    public static Gen<HttpInput> Requests() => Once("requests", () => Gen.Frequency(
        (35, from q in Query("?timeout=0.5", "?timeout=0", "?timeout=-1", "?timeout=abc", "?timeout=1e309", "?timeout=86401", "?timeout=NaN") from body in Body("statements", Statements()) from t in Token()
            select new HttpInput("POST", "/v1/transactions" + q, body, t, "transactions")),
        (30, from q in Query("?timeout=1", "?x=1") from body in Body("statement", Statement()) from t in Token()
            select new HttpInput("POST", "/v1/queries" + q, body, t, "queries")),
        (14, from q in Query("?skip_rows=true", "?skip_rows=1", "?skip_rows=maybe", "?skip_rows=") from body in Body("statement", Statement()) from t in Token()
            select new HttpInput("POST", "/v1/subscriptions" + q, body, t, "subscribe")),
        (3, from id in Gen.Elements("00000000-0000-0000-0000-000000000000", "nope", "%00", "..%2F..", new string('a', 300)) from q in Gen.Elements("", "?from=0", "?from=-1", "?from=99999999999999999999", "?from=x", "?skip_rows=true") from t in Token()
            select new HttpInput("GET", $"/v1/subscriptions/{id}{q}", null, t, "attach")),
        (5, from table in Gen.Elements("items", "pairs", "vault_guard", "nope", "items__corro_clock", "%20", "It%C3%A9ms", "a%2Fb", new string('t', 500)) from t in Token()
            select new HttpInput("POST", "/v1/updates/" + table, null, t, "updates")),
        (5, from body in Body("table_stats", Gen.Elements("{}", "{\"tables\": []}", "{\"tables\": [\"items\", \"nope\"]}", "{\"tables\": [\"vault_guard\"]}", "{\"tables\": \"items\"}", "{\"tables\": [1]}", "{\"tables\": null}", "[]")) from t in Token()
            select new HttpInput("POST", "/v1/table_stats", body, t, "table_stats")),
        (4, from path in Gen.Elements("/v1/health", "/v1/members", "/v1/sync/state", "/v1/transactions", "/v1/queries", "/v1/nope", "/", "/v1/subscriptions/", "/v1/updates/", "/%FF", "/v1/health?x=%00")
            from method in Gen.Elements("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") from t in Token()
            select new HttpInput(method, path, method is "GET" or "HEAD" ? null : [], t, "other"))));
}
