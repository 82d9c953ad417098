using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Corrosion.Client;

namespace Corrosion.Cli;

/// <summary>
/// <c>corrosion subscribe SQL [--param V]... [--skip-rows] [--json]</c>, or <c>--id ID --from N</c>
/// to resume: prints a subscription's events as they arrive, one line each, until Ctrl+C (exit 0).
/// The subscription re-attaches by itself after a dropped connection.
/// </summary>
public static class SubscribeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        var sql = new Argument<string?>("sql") { Description = "a read-only SQL statement", Arity = ArgumentArity.ZeroOrOne };
        var param = ParamOption.Create();
        var skipRows = new Option<bool>("--skip-rows") { Description = "omit the initial rows" };
        var json = new Option<bool>("--json") { Description = "print the stream's NDJSON lines instead of readable lines" };
        var id = new Option<string?>("--id") { Description = "resume the subscription with this id (printed at the start) instead of subscribing" };
        var from = new Option<long?>("--from") { Description = "with --id: the last change id already seen; changes after it are printed" };
        var command = new Command("subscribe", "Subscribe to a query on a node and print its rows and changes as they arrive (Ctrl+C to stop)");
        command.Arguments.Add(sql);
        command.Options.Add(param);
        command.Options.Add(skipRows);
        command.Options.Add(json);
        command.Options.Add(id);
        command.Options.Add(from);
        command.SetAction(async (parse, invocationToken) =>
        {
            // Ctrl+C is how a subscription is meant to end: exit 0, not the 130 of an interrupted command.
            using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(invocationToken);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                interrupted.Cancel();
            });
            var cancellationToken = interrupted.Token;
            try
            {
                var (address, token) = globals.ResolveApi(parse);
                using var client = new CorrosionClient(address, token);
                var subscription = await OpenAsync(client, parse.GetValue(sql), parse.GetValue(param) ?? [], parse.GetValue(skipRows), parse.GetValue(id), parse.GetValue(from), cancellationToken);
                await using (subscription)
                {
                    await PrintAsync(subscription, parse.GetValue(json), stdout, cancellationToken);
                }

                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e))
            {
                await stderr.WriteLineAsync($"corrosion subscribe: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Task<CorrosionSubscription> OpenAsync(CorrosionClient client, string? sql, string[] parameters, bool skipRows, string? id, long? from, CancellationToken cancellationToken)
    {
        if (id is not null)
        {
            if (sql is not null || parameters.Length > 0 || skipRows)
            {
                throw new CliException("--id resumes an existing subscription: give no SQL, --param or --skip-rows with it");
            }

            return from is { } f
                ? client.ResumeAsync(id, f, cancellationToken: cancellationToken)
                : throw new CliException("--id needs --from N (the last change id already seen)");
        }

        if (from is not null)
        {
            throw new CliException("--from needs --id");
        }

        if (string.IsNullOrWhiteSpace(sql))
        {
            throw new CliException("give a SQL statement, or --id ID --from N to resume");
        }

        var statement = new ClientStatement(sql, SqlParams.Parse(parameters));
        return client.SubscribeAsync(statement, new SubscribeOptions { SkipRows = skipRows }, cancellationToken);
    }

    private static async Task PrintAsync(CorrosionSubscription subscription, bool json, TextWriter stdout, CancellationToken cancellationToken)
    {
        if (json)
        {
            await stdout.WriteLineAsync(Line(w =>
            {
                w.WriteStartArray("columns");
                foreach (var column in subscription.Columns)
                {
                    w.WriteStringValue(column);
                }

                w.WriteEndArray();
            }));
        }
        else
        {
            await stdout.WriteLineAsync($"# subscription {subscription.QueryId} (hash {subscription.QueryHash}); columns: {string.Join('|', subscription.Columns)}");
        }

        await stdout.FlushAsync(cancellationToken);
        await foreach (var e in subscription.WithCancellation(cancellationToken))
        {
            await stdout.WriteLineAsync(json ? ToJson(e) : ToText(e));
            await stdout.FlushAsync(cancellationToken);
        }
    }

    /// <summary>One readable line: <c>row 1: a|b</c>, <c>eoq change_id=3 time=0.001</c>, <c>insert 4 @5: a|b</c>.</summary>
    internal static string ToText(SubscriptionEvent e) => e switch
    {
        SubscriptionRowEvent r => string.Create(CultureInfo.InvariantCulture, $"row {r.RowId}: {Cells(r.Cells)}"),
        SubscriptionEndOfQueryEvent q => string.Create(CultureInfo.InvariantCulture, $"eoq change_id={q.ChangeId} time={q.Time}"),
        SubscriptionChangeEvent c => string.Create(CultureInfo.InvariantCulture, $"{Verb(c.Kind)} {c.RowId} @{c.ChangeId}: {Cells(c.Cells)}"),
        _ => e.ToString(),
    };

    /// <summary>The event as the line the node sent for it.</summary>
    internal static string ToJson(SubscriptionEvent e) => Line(w =>
    {
        switch (e)
        {
            case SubscriptionRowEvent r:
                w.WriteStartArray("row");
                w.WriteNumberValue(r.RowId);
                WriteCells(w, r.Cells);
                w.WriteEndArray();
                break;
            case SubscriptionEndOfQueryEvent q:
                w.WriteStartObject("eoq");
                w.WriteNumber("time", q.Time);
                w.WriteNumber("change_id", q.ChangeId);
                w.WriteEndObject();
                break;
            case SubscriptionChangeEvent c:
                w.WriteStartArray("change");
                w.WriteStringValue(Verb(c.Kind));
                w.WriteNumberValue(c.RowId);
                WriteCells(w, c.Cells);
                w.WriteNumberValue(c.ChangeId);
                w.WriteEndArray();
                break;
        }
    });

    private static string Verb(ChangeKind kind) => kind switch
    {
        ChangeKind.Insert => "insert",
        ChangeKind.Update => "update",
        _ => "delete",
    };

    private static string Cells(IReadOnlyList<JsonElement> cells) => string.Join('|', cells.Select(QueryCommand.Format));

    private static void WriteCells(Utf8JsonWriter w, IReadOnlyList<JsonElement> cells)
    {
        w.WriteStartArray();
        foreach (var cell in cells)
        {
            cell.WriteTo(w);
        }

        w.WriteEndArray();
    }

    private static string Line(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
