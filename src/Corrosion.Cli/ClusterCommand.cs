using System.CommandLine;
using Corrosion.Client;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Corrosion.Cli;

/// <summary><c>corrosion cluster members</c>: prints the node's view of the cluster (from <c>GET /v1/members</c>) as a table.</summary>
public static class ClusterCommand
{
    /// <summary>Builds the <c>cluster</c> command and its subcommands.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        var cluster = new Command("cluster", "Inspect the cluster through a node (members: HTTP API; membership-states, rejoin: admin socket)");
        var members = new Command("members", "List the members this node knows: id, address, state, incarnation, round trip");
        members.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var (address, token) = globals.ResolveApi(parse);
                using var client = new CorrosionClient(address, token);
                var rows = (await client.GetJsonAsync("v1/members", cancellationToken)).EnumerateArray().ToList();
                Render(rows, stdout);
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e) || e is HttpRequestException or JsonException or TaskCanceledException)
            {
                await stderr.WriteLineAsync($"corrosion cluster members: {e.Message}");
                return 1;
            }
        });
        cluster.Subcommands.Add(members);
        var states = new Command("membership-states", "Print this node's SWIM view over the admin socket, as JSON: itself, every member with state, incarnation, start time and round trip, packet counters");
        states.SetAction((parse, cancellationToken) =>
            AdminCall.RunAsync("cluster membership-states", globals, parse, "cluster.membership-states", null, stderr, AdminCall.PrintJson(stdout), cancellationToken));
        cluster.Subcommands.Add(states);
        var rejoin = new Command("rejoin", "Announce this node again to every member it remembers and to membership.bootstrap (resolved afresh), over the admin socket");
        rejoin.SetAction((parse, cancellationToken) =>
            AdminCall.RunAsync("cluster rejoin", globals, parse, "cluster.rejoin", null, stderr, json => stdout.WriteLineAsync(
                $"rejoining: announced to {json?["announced_to_members"]} known member(s), {json?["bootstrap_entries"]} bootstrap entr(ies) being resolved"), cancellationToken));
        cluster.Subcommands.Add(rejoin);
        return cluster;
    }

    private static void Render(List<JsonElement> members, TextWriter stdout)
    {
        var console = PlainConsole.Create(stdout);
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("id");
        table.AddColumn("address");
        table.AddColumn("state");
        table.AddColumn(new TableColumn("incarnation").RightAligned());
        table.AddColumn(new TableColumn("rtt").RightAligned());
        foreach (var member in members)
        {
            var self = member.TryGetProperty("self", out var s) && s.ValueKind == JsonValueKind.True;
            var rtt = member.TryGetProperty("rtt_ms", out var r) && r.ValueKind == JsonValueKind.Number
                ? string.Create(CultureInfo.InvariantCulture, $"{r.GetInt64()} ms")
                : "-";
            table.AddRow(
                Markup.Escape(Text(member, "id") + (self ? " (self)" : string.Empty)),
                Markup.Escape(Text(member, "addr")),
                Markup.Escape(Text(member, "state")),
                Markup.Escape(member.TryGetProperty("incarnation", out var i) ? i.GetRawText() : "-"),
                Markup.Escape(rtt));
        }

        console.Write(table);
    }

    private static string Text(JsonElement member, string name) =>
        member.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";
}
