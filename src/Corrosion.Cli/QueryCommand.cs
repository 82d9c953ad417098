using System.CommandLine;
using System.Text.Json;
using Corrosion.Client;

namespace Corrosion.Cli;

/// <summary><c>corrosion query SQL [--param V]... [--columns]</c>: prints rows as they stream, cells separated by <c>|</c>.</summary>
public static class QueryCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        var sql = new Argument<string>("sql") { Description = "a read-only SQL statement" };
        var param = ParamOption.Create();
        var columns = new Option<bool>("--columns") { Description = "print the column names first" };
        var command = new Command("query", "Run a read-only query on a node and print the rows");
        command.Arguments.Add(sql);
        command.Options.Add(param);
        command.Options.Add(columns);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var (address, token) = globals.ResolveApi(parse);
                using var client = new CorrosionClient(address, token);
                var statement = new ClientStatement(parse.GetValue(sql)!, SqlParams.Parse(parse.GetValue(param) ?? []));
                var result = await client.QueryAsync(statement, cancellationToken);
                if (parse.GetValue(columns))
                {
                    await stdout.WriteLineAsync(string.Join('|', result.Columns));
                }

                await foreach (var row in result.Rows.WithCancellation(cancellationToken))
                {
                    await stdout.WriteLineAsync(string.Join('|', row.Cells.Select(Format)));
                }

                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e))
            {
                await stderr.WriteLineAsync($"corrosion query: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Formats a cell as sqlite3 does: text raw, NULL empty, blobs as X'hex'.</summary>
    internal static string Format(JsonElement cell) => cell.ValueKind switch
    {
        JsonValueKind.Null => string.Empty,
        JsonValueKind.String => cell.GetString()!,
        JsonValueKind.Array => "X'" + Convert.ToHexString(cell.EnumerateArray().Select(b => b.GetByte()).ToArray()) + "'",
        // sqlite3 prints an infinite REAL (9e999 in JSON) as Inf.
        JsonValueKind.Number when !cell.TryGetDouble(out _) && !cell.TryGetInt64(out _) && cell.GetRawText() is var raw && raw.Contains('e', StringComparison.OrdinalIgnoreCase) =>
            raw.StartsWith('-') ? "-Inf" : "Inf",
        _ => cell.GetRawText(),
    };
}
