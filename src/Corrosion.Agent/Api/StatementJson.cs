using System.Globalization;
using System.Text.Json;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Api;

/// <summary>
/// Reads statements in the four shapes Corrosion's API accepts (<c>"SQL"</c>, <c>["SQL", [params]]</c>,
/// <c>["SQL", {named}]</c>, <c>{"query", "params", "named_params"}</c>) and writes SQL values as JSON
/// (blobs as arrays of byte values, as Corrosion does).
/// </summary>
public static class StatementJson
{
    /// <summary>Parses the body of <c>/v1/transactions</c>: a non-empty array of statements.</summary>
    /// <exception cref="ApiInputException">the body is not a non-empty array of valid statements.</exception>
    public static IReadOnlyList<Statement> ParseMany(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new ApiInputException("expected a JSON array of statements");
        }

        var statements = new List<Statement>(root.GetArrayLength());
        var index = 0;
        foreach (var element in root.EnumerateArray())
        {
            try
            {
                statements.Add(ParseOne(element));
            }
            catch (ApiInputException e)
            {
                throw new ApiInputException($"statement {index}: {e.Message}");
            }

            index++;
        }

        if (statements.Count == 0)
        {
            throw new ApiInputException("the statement list is empty");
        }

        return statements;
    }

    /// <summary>
    /// Parses the body of <c>/v1/transactions</c> straight from its UTF-8 text in one pass, for the common
    /// shapes (<c>"SQL"</c>, <c>["SQL"]</c>, <c>["SQL", [params]]</c>, <c>["SQL", {named}]</c> with null,
    /// boolean, number and string values); false for anything else, valid or not (objects, blobs, errors of
    /// any kind), which <see cref="ParseMany(JsonElement)"/> then reads over a document with its own
    /// messages. What it returns equals what that would.
    /// </summary>
    internal static bool TryParseMany(ReadOnlySpan<byte> utf8, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out List<Statement>? statements)
    {
        statements = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return false;
            }

            var parsed = new List<Statement>(1);
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (TryReadStatement(ref reader) is not { } statement)
                {
                    return false;
                }

                parsed.Add(statement);
            }

            // The array ended, with nothing after it.
            if (reader.TokenType != JsonTokenType.EndArray || reader.Read() || parsed.Count == 0)
            {
                return false;
            }

            statements = parsed;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Malformed JSON, or a string that is no Unicode text: the document path says which.
            return false;
        }
    }

    private static Statement? TryReadStatement(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString() is { } text && !string.IsNullOrWhiteSpace(text) ? new Statement(text) : null;
        }

        if (reader.TokenType != JsonTokenType.StartArray || !reader.Read() || reader.TokenType != JsonTokenType.String)
        {
            return null;
        }

        var sql = reader.GetString();
        if (string.IsNullOrWhiteSpace(sql) || !reader.Read())
        {
            return null;
        }

        Statement statement;
        switch (reader.TokenType)
        {
            case JsonTokenType.EndArray:
                return new Statement(sql);
            case JsonTokenType.Null:
                statement = new Statement(sql);
                break;
            case JsonTokenType.StartArray:
                {
                    var values = new List<SqlValue>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (!TryReadValue(ref reader, out var value))
                        {
                            return null;
                        }

                        values.Add(value);
                    }

                    statement = new Statement(sql, values);
                    break;
                }

            case JsonTokenType.StartObject:
                {
                    var values = new Dictionary<string, SqlValue>(StringComparer.Ordinal);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var name = reader.GetString()!.TrimStart(':', '@', '$');
                        if (name.Length == 0 || !reader.Read() || !TryReadValue(ref reader, out var value))
                        {
                            return null;
                        }

                        values[name] = value;
                    }

                    statement = new Statement(sql, null, values);
                    break;
                }

            default:
                return null;
        }

        // A statement array has at most two items.
        return reader.Read() && reader.TokenType == JsonTokenType.EndArray ? statement : null;
    }

    private static bool TryReadValue(ref Utf8JsonReader reader, out SqlValue value)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                value = SqlValue.Null;
                return true;
            case JsonTokenType.True:
                value = SqlValue.FromInteger(1);
                return true;
            case JsonTokenType.False:
                value = SqlValue.FromInteger(0);
                return true;
            case JsonTokenType.String:
                value = SqlValue.FromText(reader.GetString()!);
                return true;
            case JsonTokenType.Number when reader.TryGetInt64(out var integer):
                value = SqlValue.FromInteger(integer);
                return true;
            case JsonTokenType.Number when reader.TryGetDouble(out var real):
                value = SqlValue.FromReal(real);
                return true;
            default:
                // Blobs (arrays, {"blob": hex}), and numbers beyond a double's range: the document path.
                value = SqlValue.Null;
                return false;
        }
    }

    /// <summary>Parses one statement in any of the four shapes.</summary>
    /// <exception cref="ApiInputException">the element is not a statement.</exception>
    public static Statement ParseOne(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return new Statement(RequireSql(element.GetString()));
            case JsonValueKind.Array:
                {
                    var length = element.GetArrayLength();
                    if (length is < 1 or > 2 || element[0].ValueKind != JsonValueKind.String)
                    {
                        throw new ApiInputException("a statement array is [\"SQL\"], [\"SQL\", [params]] or [\"SQL\", {named params}]");
                    }

                    var sql = RequireSql(element[0].GetString());
                    if (length == 1)
                    {
                        return new Statement(sql);
                    }

                    var args = element[1];
                    return args.ValueKind switch
                    {
                        JsonValueKind.Array => new Statement(sql, ParsePositional(args)),
                        JsonValueKind.Object => new Statement(sql, null, ParseNamed(args)),
                        JsonValueKind.Null => new Statement(sql),
                        _ => throw new ApiInputException("parameters must be an array (positional) or an object (named)"),
                    };
                }

            case JsonValueKind.Object:
                {
                    string? sql = null;
                    IReadOnlyList<SqlValue>? positional = null;
                    IReadOnlyDictionary<string, SqlValue>? named = null;
                    foreach (var property in element.EnumerateObject())
                    {
                        switch (property.Name)
                        {
                            case "query":
                                if (property.Value.ValueKind != JsonValueKind.String)
                                {
                                    throw new ApiInputException("\"query\" must be a string");
                                }

                                sql = property.Value.GetString();
                                break;
                            case "params":
                                positional = property.Value.ValueKind switch
                                {
                                    JsonValueKind.Array => ParsePositional(property.Value),
                                    JsonValueKind.Null => null,
                                    _ => throw new ApiInputException("\"params\" must be an array"),
                                };
                                break;
                            case "named_params":
                                named = property.Value.ValueKind switch
                                {
                                    JsonValueKind.Object => ParseNamed(property.Value),
                                    JsonValueKind.Null => null,
                                    _ => throw new ApiInputException("\"named_params\" must be an object"),
                                };
                                break;
                            default:
                                throw new ApiInputException($"unknown field \"{property.Name}\" (expected query, params, named_params)");
                        }
                    }

                    if (positional is { Count: > 0 } && named is { Count: > 0 })
                    {
                        throw new ApiInputException("use either \"params\" or \"named_params\", not both");
                    }

                    return new Statement(RequireSql(sql), positional, named);
                }

            default:
                throw new ApiInputException("a statement is a string, an array or an object");
        }
    }

    private static string RequireSql(string? sql) =>
        string.IsNullOrWhiteSpace(sql) ? throw new ApiInputException("the SQL text is empty") : sql;

    private static List<SqlValue> ParsePositional(JsonElement array)
    {
        var values = new List<SqlValue>(array.GetArrayLength());
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            values.Add(ParseValue(item, $"parameter {i + 1}"));
            i++;
        }

        return values;
    }

    private static Dictionary<string, SqlValue> ParseNamed(JsonElement obj)
    {
        var values = new Dictionary<string, SqlValue>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            var name = property.Name.TrimStart(':', '@', '$');
            if (name.Length == 0)
            {
                throw new ApiInputException("a named parameter has an empty name");
            }

            values[name] = ParseValue(property.Value, $"parameter \"{name}\"");
        }

        return values;
    }

    /// <summary>Reads a SQL value: null, bool (as 0/1), integer, real, string, or an array of bytes (blob).</summary>
    public static SqlValue ParseValue(JsonElement value, string what)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return SqlValue.Null;
            case JsonValueKind.True:
                return SqlValue.FromInteger(1);
            case JsonValueKind.False:
                return SqlValue.FromInteger(0);
            case JsonValueKind.String:
                return SqlValue.FromText(value.GetString()!);
            case JsonValueKind.Number:
                if (value.TryGetInt64(out var integer))
                {
                    return SqlValue.FromInteger(integer);
                }

                // Beyond a double's range (9e999, as SQLite's JSON functions write infinity): an infinity, as SQLite reads it.
                return SqlValue.FromReal(value.TryGetDouble(out var real)
                    ? real
                    : double.Parse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture));
            case JsonValueKind.Array:
                {
                    var bytes = new byte[value.GetArrayLength()];
                    var i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.Number || !item.TryGetByte(out bytes[i]))
                        {
                            throw new ApiInputException($"{what}: a blob is an array of byte values (0-255)");
                        }

                        i++;
                    }

                    return SqlValue.FromBlob(bytes);
                }

            case JsonValueKind.Object when value.TryGetProperty("blob", out var hex) && hex.ValueKind == JsonValueKind.String:
                try
                {
                    return SqlValue.FromBlob(Convert.FromHexString(hex.GetString()!));
                }
                catch (FormatException)
                {
                    throw new ApiInputException($"{what}: \"blob\" must be hexadecimal");
                }

            default:
                throw new ApiInputException($"{what}: unsupported JSON value {value.ValueKind}");
        }
    }

    /// <summary>Writes a SQL value as JSON (blobs as arrays of byte values).</summary>
    public static void WriteValue(Utf8JsonWriter writer, SqlValue value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value.Kind)
        {
            case SqlValueKind.Null:
                writer.WriteNullValue();
                break;
            case SqlValueKind.Integer:
                writer.WriteNumberValue(value.AsInteger);
                break;
            case SqlValueKind.Real:
                WriteReal(writer, value.AsReal);
                break;
            case SqlValueKind.Text:
                writer.WriteStringValue(value.AsText);
                break;
            default:
                writer.WriteStartArray();
                foreach (var b in value.AsBlob)
                {
                    writer.WriteNumberValue(b);
                }

                writer.WriteEndArray();
                break;
        }
    }
    /// <summary>
    /// Writes a REAL so a reader can tell it from an INTEGER, as Corrosion (serde_json) does: an
    /// integral value keeps a fraction (<c>7.0</c>, <c>-0.0</c>), large and small ones an exponent
    /// (<c>1E+300</c>), and every value is the shortest text that reads back to the same double.
    /// JSON has no infinities: they are written as SQLite's own JSON functions write them
    /// (<c>9e999</c>, <c>-9e999</c>), numbers too large for a double that read back as infinite
    /// (<see cref="ParseValue"/> does). SQLite stores no NaN (it binds NaN as NULL), so NaN is null.
    /// </summary>
    public static void WriteReal(Utf8JsonWriter writer, double real)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (double.IsNaN(real))
        {
            writer.WriteNullValue();
            return;
        }

        if (double.IsInfinity(real))
        {
            writer.WriteRawValue(real > 0 ? "9e999" : "-9e999", skipInputValidation: true);
            return;
        }

        var text = real.ToString("R", CultureInfo.InvariantCulture);
        writer.WriteRawValue(text.AsSpan().IndexOfAny('.', 'E') < 0 ? text + ".0" : text, skipInputValidation: true);
    }
}
