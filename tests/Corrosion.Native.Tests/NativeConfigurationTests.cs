using Corrosion.Agent.Tests.Node;
using Corrosion.Hocon;
using Xunit.Abstractions;

namespace Corrosion.Native.Tests;

/// <summary>
/// Every setting of reference.conf reaches its reader in the NativeAOT executable: options bind through the
/// configuration binder's reflection, and a property the trimmer removed would leave its key at the default without
/// a word. A reader that refuses junk has the key, so junk in each key must be refused naming file, line and key.
/// </summary>
[Collection(NativeCliCollection.Name)]
public sealed class NativeConfigurationTests(NativeCli cli, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"corrosion-native-conf-{Guid.NewGuid():N}");

    [SkippableFact]
    public async Task Junk_in_any_setting_is_refused_by_the_native_agent_naming_file_line_and_key()
    {
        var executable = cli.Require();
        Directory.CreateDirectory(_dir);
        var reference = await File.ReadAllTextAsync(Path.Combine(NativeCli.RepositoryRoot(), "hocon", "reference.conf"));
        var keys = HoconParser.Parse(reference, "reference.conf").Flatten()
            .Select(kv => kv.Key.Replace(':', '.'))
            .Where(key => !FreeTextKeys.All.ContainsKey(key))
            // akka { } is handed to Akka.NET as it is (free-form, as NodeConfiguration.OpenSections says).
            .Where(key => !key.StartsWith("akka.", StringComparison.Ordinal))
            .ToList();
        Assert.True(keys.Count > 90, $"only {keys.Count} keys in reference.conf");

        var wrong = new List<string>();
        foreach (var key in keys)
        {
            var file = Path.Combine(_dir, "node.conf");
            await File.WriteAllTextAsync(file, $"# a node\n{key} = \"zz-junk\"\n");
            var (exit, _, stderr) = await ChildProcess.RunAsync(Deadline, executable, "agent", "-c", file, "--check");
            if (exit != 2 || !stderr.Contains($"{file}:2:", StringComparison.Ordinal) || !stderr.Contains(key, StringComparison.Ordinal))
            {
                wrong.Add($"{key}: exit {exit}: {stderr.Trim()}");
            }
        }

        output.WriteLine($"{keys.Count} keys refused junk as expected, {wrong.Count} did not");
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [SkippableFact]
    public async Task A_bearer_token_written_without_brackets_is_refused_by_the_native_agent()
    {
        var executable = cli.Require();
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "node.conf");
        await File.WriteAllTextAsync(file, "api.authz.bearer_tokens = \"s3cr3t-token\"\n");

        var (exit, _, stderr) = await ChildProcess.RunAsync(Deadline, executable, "agent", "-c", file, "--check");

        Assert.Equal(2, exit);
        Assert.Contains($"{file}:1:27: configuration key api.authz.bearer_tokens is a list", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
