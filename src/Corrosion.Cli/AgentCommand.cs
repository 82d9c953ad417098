using System.CommandLine;
using System.Runtime.InteropServices;
using Corrosion.Agent.Node;
using Microsoft.Extensions.Logging;

namespace Corrosion.Cli;

/// <summary><c>corrosion agent [-c file.conf]</c>: runs a node until SIGINT or SIGTERM.</summary>
public static class AgentCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        var command = new Command("agent", "Run a node: the database, the actors and the HTTP API (embedded defaults when no -c is given)");
        command.SetAction(async (parse, cancellationToken) =>
        {
            NodeOptions options;
            try
            {
                options = NodeConfiguration.Load(parse.GetValue(globals.Config));
            }
            catch (Exception e) when (CliErrors.IsUserError(e) || e is ArgumentException or FormatException)
            {
                await stderr.WriteLineAsync($"corrosion agent: configuration error: {e.Message}");
                return 2;
            }

            using var loggerFactory = LoggerFactory.Create(b => b
                .AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    o.UseUtcTimestamp = true;
                })
                .SetMinimumLevel(LogLevel.Information)
                .AddFilter("Microsoft", LogLevel.Warning));

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });

            CorrosionNode node;
            try
            {
                node = await CorrosionNode.StartAsync(options, loggerFactory);
            }
            catch (Exception e) when (CliErrors.IsUserError(e))
            {
                await stderr.WriteLineAsync($"corrosion agent: cannot start: {e.Message}");
                return 1;
            }

            await stdout.WriteLineAsync($"corrosion agent {node.ActorId} listening on {node.ApiAddress} (database {Path.GetFullPath(options.Db.Path)})");
            await stdout.FlushAsync(CancellationToken.None);
            await using (node)
            {
                var stopped = Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                await Task.WhenAny(stopped, node.WhenTerminated);
                if (node.WhenTerminated.IsCompleted && node.TerminationCause is { } cause)
                {
                    await stderr.WriteLineAsync($"corrosion agent: stopped after a failure: {cause.Message}");
                    return 70;
                }
            }

            return 0;
        });
        return command;
    }
}
