using System.CommandLine;
using System.Runtime.InteropServices;
using Corrosion.Agent.Admin;
using Corrosion.Agent.Node;
using Microsoft.Extensions.Logging;

namespace Corrosion.Cli;

/// <summary><c>corrosion agent [-c file.conf] [--check]</c>: runs a node until SIGINT or SIGTERM, or checks its configuration.</summary>
public static class AgentCommand
{
    private static readonly TimeSpan ForcedExitAfter = TimeSpan.FromSeconds(30);

    /// <summary>The agent's log filter at start (and after <c>corrosion log reset</c>).</summary>
    public const string StartupLogFilter = "info,Microsoft=warning";

    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        var command = new Command("agent", "Run a node: the database, the actors and the HTTP API (embedded defaults when no -c is given)");
        var check = new Option<bool>("--check")
        {
            Description = "Validate the configuration (keys, values, schema files), print the effective configuration with secrets masked, and exit: 0 when valid",
        };
        command.Options.Add(check);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(check))
            {
                return await CheckAsync(parse.GetValue(globals.Config), stdout, stderr);
            }

            NodeOptions options;
            int? parent;
            try
            {
                options = NodeConfiguration.Load(parse.GetValue(globals.Config));
                parent = ParentWatch.ParentFromEnvironment();
            }
            catch (Exception e) when (CliErrors.IsUserError(e) || e is ArgumentException or FormatException)
            {
                await stderr.WriteLineAsync($"corrosion agent: configuration error: {e.Message}");
                return 2;
            }

            // `corrosion log set` changes this filter while the node runs; `log reset` goes back to it.
            var logLevels = new LogLevels(StartupLogFilter);
            using var logging = AgentLogging.Create(logLevels);
            var loggerFactory = logging.Factory;

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });

            // CORROSION_EXIT_WITH_PARENT: stop, as on SIGTERM, when the process that started us is gone.
            var agentLog = loggerFactory.CreateLogger("Corrosion.Cli.Agent");
            using var parentWatch = parent is { } parentPid
                ? ParentWatch.Start(parentPid, () =>
                {
                    agentLog.LogWarning("parent process {Pid} ({Variable}) is gone; stopping", parentPid, ParentWatch.Variable);
                    stop.Cancel();

                    // Orphans must not linger: if stopping hangs, leave anyway.
                    _ = Task.Delay(ForcedExitAfter).ContinueWith(_ => Environment.Exit(75), TaskScheduler.Default);
                })
                : null;

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

            if (node.AkkaApiAddress is { } akkaApi)
            {
                await stdout.WriteLineAsync($"corrosion agent {node.ActorId} akka api on {akkaApi}");
            }

            AdminServer? admin;
            try
            {
                admin = await AdminCommands.StartServerAsync(node, logLevels, loggerFactory);
            }
            catch (IOException e)
            {
                await node.DisposeAsync();
                await stderr.WriteLineAsync($"corrosion agent: cannot start: {e.Message}");
                return 1;
            }

            await using var adminServer = admin;
            if (admin is not null)
            {
                await stdout.WriteLineAsync($"corrosion agent {node.ActorId} admin socket {admin.Path}");
            }

            await stdout.WriteLineAsync($"corrosion agent {node.ActorId} listening on {node.ApiAddress} (database {Path.GetFullPath(options.Db.Path)})");
            await stdout.FlushAsync(CancellationToken.None);
            // SIGHUP re-reads the gossip certificates (rotation without a restart; open links are kept).
            using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                ReloadCertificates(node, agentLog);
            });
            // Start-up's and each burst's freed memory goes back to the system (the memory section).
            using var trimmer = NativeMemoryTrimmer.Start(node, options.Memory);
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

    /// <summary><c>--check</c>: everything start-up checks before it opens the database, then the effective configuration.</summary>
    private static async Task<int> CheckAsync(string? configPath, TextWriter stdout, TextWriter stderr)
    {
        string effective;
        try
        {
            (_, effective) = NodeConfiguration.Check(configPath);
        }
        catch (Exception e) when (CliErrors.IsUserError(e) || e is ArgumentException or FormatException)
        {
            await stderr.WriteLineAsync($"corrosion agent: configuration error: {e.Message}");
            return 2;
        }

        var layers = configPath is null ? "reference.conf < environment" : $"reference.conf < {configPath} < environment";
        await stdout.WriteLineAsync($"# corrosion agent --check: the configuration is valid ({layers}); secrets are masked");
        await stdout.WriteAsync(effective);
        await stdout.FlushAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>What SIGHUP does (and <c>corrosion reload</c> will): re-read the gossip certificates; a failure keeps the old ones.</summary>
    public static void ReloadCertificates(CorrosionNode node, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(node);
        try
        {
            if (node.Transport?.ReloadCertificates() != true)
            {
                log.LogInformation("SIGHUP: no gossip.tls certificate files configured; nothing to reload");
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // The transport logged the reason; the node goes on with the certificates it had.
        }
    }
}
