using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Corrosion.Cli;

/// <summary><c>corrosion subs list</c> and <c>corrosion subs info ID</c>: the node's live queries, over the admin socket.</summary>
public static class SubsCommand
{
    /// <summary>Builds the <c>subs</c> command and its subcommands.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        ArgumentNullException.ThrowIfNull(stdout);
        var subs = new Command("subs", "Inspect the node's live queries (subscriptions) over the admin socket");
        var list = new Command("list", "List the subscriptions: id, listeners, rows, last change id, strategy, SQL");
        list.SetAction((parse, cancellationToken) => AdminCall.RunAsync("subs list", globals, parse, "subs.list", null, stderr, json =>
        {
            Render(json as JsonArray ?? [], stdout);
            return Task.CompletedTask;
        }, cancellationToken));
        var id = new Argument<string>("ID") { Description = "the subscription's id (header corro-query-id)" };
        var info = new Command("info", "Show how one subscription is maintained and what its evaluations did, as JSON") { id };
        info.SetAction((parse, cancellationToken) =>
            AdminCall.RunAsync("subs info", globals, parse, "subs.info", new JsonObject { ["id"] = parse.GetValue(id) }, stderr, AdminCall.PrintJson(stdout), cancellationToken));
        subs.Subcommands.Add(list);
        subs.Subcommands.Add(info);
        return subs;
    }

    private static void Render(JsonArray subscriptions, TextWriter stdout)
    {
        var console = PlainConsole.Create(stdout);
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("id");
        table.AddColumn(new TableColumn("listeners").RightAligned());
        table.AddColumn(new TableColumn("rows").RightAligned());
        table.AddColumn(new TableColumn("change id").RightAligned());
        table.AddColumn("strategy");
        table.AddColumn("sql");
        foreach (var sub in subscriptions.OfType<JsonObject>())
        {
            table.AddRow(
                Markup.Escape(sub["id"]?.ToString() ?? "-"),
                Markup.Escape(sub["listeners"]?.ToString() ?? "-"),
                Markup.Escape(sub["rows"]?.ToString() ?? "-"),
                Markup.Escape(sub["last_change_id"]?.ToString() ?? "-"),
                Markup.Escape(sub["strategy"]?.ToString() ?? "-"),
                Markup.Escape(sub["sql"]?.ToString() ?? "-"));
        }

        console.Write(table);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{subscriptions.Count} subscription(s)"));
    }
}
