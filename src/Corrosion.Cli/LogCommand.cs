using System.CommandLine;
using System.Text.Json.Nodes;

namespace Corrosion.Cli;

/// <summary><c>corrosion log set LEVEL</c> and <c>corrosion log reset</c>: the running node's log filter, over the admin socket.</summary>
public static class LogCommand
{
    /// <summary>Builds the <c>log</c> command and its subcommands.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        ArgumentNullException.ThrowIfNull(stdout);
        var log = new Command("log", "Change the running node's log levels over the admin socket");
        var level = new Argument<string>("LEVEL")
        {
            Description = "trace, debug, info, warn, error, critical or none, optionally with Category=level pairs: \"warn,Corrosion.Agent.Membership=debug\"",
        };
        var set = new Command("set", "Set the log filter until the node stops or `log reset`") { level };
        set.SetAction((parse, cancellationToken) => AdminCall.RunAsync("log set", globals, parse, "log.set", new JsonObject { ["filter"] = parse.GetValue(level) }, stderr,
            json => stdout.WriteLineAsync($"log filter: {json?["filter"]}"), cancellationToken));
        var reset = new Command("reset", "Go back to the log filter the node started with");
        reset.SetAction((parse, cancellationToken) => AdminCall.RunAsync("log reset", globals, parse, "log.reset", null, stderr,
            json => stdout.WriteLineAsync($"log filter: {json?["filter"]}"), cancellationToken));
        log.Subcommands.Add(set);
        log.Subcommands.Add(reset);
        return log;
    }
}
