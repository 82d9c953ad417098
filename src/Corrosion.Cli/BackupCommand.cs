using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Corrosion.Agent.Admin;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Spectre.Console;

namespace Corrosion.Cli;

/// <summary>
/// <c>corrosion backup PATH</c> (over the admin socket, the node keeps running) and <c>corrosion
/// restore PATH</c> (the node must be stopped).
/// </summary>
public static class BackupCommand
{
    /// <summary>Builds <c>backup</c>.</summary>
    public static Command CreateBackup(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var path = new Argument<string>("PATH") { Description = "the backup file to write (must not exist)" };
        var command = new Command("backup", "Write a consistent copy of the running node's database (made generic: without the node's own site id), with progress")
        {
            path,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var destination = Path.GetFullPath(parse.GetValue(path)!);
            if (File.Exists(destination) || Directory.Exists(destination))
            {
                await stderr.WriteLineAsync($"corrosion backup: {destination} exists: a backup never overwrites a file; remove it or choose another path");
                return 1;
            }

            Task<int> Run(Action<long, long> onProgress) => AdminCall.RunAsync(
                "backup",
                globals,
                parse,
                "backup",
                new JsonObject { ["path"] = destination },
                stderr,
                json => stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"backup written to {json?["path"]} ({json?["bytes"]} bytes, {json?["pages"]} pages): actor {json?["actor_id"]} up to version {json?["version"]}")),
                cancellationToken,
                onProgress);

            if (!Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error))
            {
                // On a terminal: Spectre's progress bar, on stderr so stdout keeps only the result.
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                var code = 1;
                await console.Progress().StartAsync(async context =>
                {
                    var task = context.AddTask("backup (pages)", autoStart: true, maxValue: 1);
                    code = await Run((done, total) =>
                    {
                        task.MaxValue = Math.Max(total, 1);
                        task.Value = done;
                    });
                    task.StopTask();
                });
                return code;
            }

            var lastQuarter = -1;
            return await Run((done, total) =>
            {
                // Redirected: a line at each quarter.
                var percent = total <= 0 ? 100 : (int)(done * 100 / total);
                if (percent / 25 > lastQuarter)
                {
                    lastQuarter = percent / 25;
                    stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"backup: {percent}% ({done}/{total} pages)"));
                }
            });
        });
        return command;
    }

    /// <summary>Builds <c>restore</c>.</summary>
    public static Command CreateRestore(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var path = new Argument<string>("PATH") { Description = "a file written by `corrosion backup`" };
        var command = new Command("restore", "Replace the stopped node's database (db.path of -c) with a backup; the node takes a new site id at its next start")
        {
            path,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var backup = Path.GetFullPath(parse.GetValue(path)!);
                var options = NodeConfiguration.Load(parse.GetValue(globals.Config));
                var db = Path.GetFullPath(options.Db.Path);
                var socket = parse.GetValue(globals.AdminPath) is { Length: > 0 } flag
                    ? Path.GetFullPath(flag)
                    : options.Admin.Enabled ? options.Admin.ResolvePath(options.Db.Path) : null;
                if (socket is not null && await AnswersAsync(socket, cancellationToken))
                {
                    throw new CliException($"the node is running (its admin socket {socket} answers): stop it first, then restore");
                }

                var (actor, version) = await DatabaseBackup.RestoreAsync(backup, db, cancellationToken);
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"restored {db} from {backup}: the node takes a new site id at its next start; the backup's own writes stay those of actor {actor} (up to version {version})"));
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e) || e is OperationCanceledException)
            {
                await stderr.WriteLineAsync($"corrosion restore: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static async Task<bool> AnswersAsync(string socket, CancellationToken cancellationToken)
    {
        try
        {
            await using var client = await AdminClient.ConnectAsync(socket, cancellationToken);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
