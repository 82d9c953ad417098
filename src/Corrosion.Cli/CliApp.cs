using System.CommandLine;

namespace Corrosion.Cli;

/// <summary>The <c>corrosion</c> command line: builds the command tree and runs it.</summary>
public static class CliApp
{
    /// <summary>Runs the CLI with the given arguments; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Corrosion.Actors: a replicated SQLite node and its tools");
        var globals = new GlobalOptions();
        globals.AddTo(root);
        root.Subcommands.Add(AgentCommand.Create(globals, stdout, stderr));
        root.Subcommands.Add(ExecCommand.Create(globals, stdout, stderr));
        root.Subcommands.Add(QueryCommand.Create(globals, stdout, stderr));
        root.Subcommands.Add(SubscribeCommand.Create(globals, stdout, stderr));
        root.Subcommands.Add(ClusterCommand.Create(globals, stdout, stderr));
        root.Subcommands.Add(SyncCommand.Create(globals, stdout, stderr));
        root.Subcommands.Add(TlsCommand.Create(stdout, stderr));
        root.Subcommands.Add(BackupCommand.CreateBackup(globals, stdout, stderr));
        root.Subcommands.Add(BackupCommand.CreateRestore(globals, stdout, stderr));
        root.Subcommands.Add(ReloadCommand.Create(globals, stdout, stderr));
        root.Subcommands.Add(SubsCommand.Create(globals, stdout, stderr));
        root.Subcommands.Add(LogCommand.Create(globals, stdout, stderr));

        var parse = root.Parse(args);
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        return await parse.InvokeAsync(config);
    }
}
