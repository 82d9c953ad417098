using Corrosion.Agent.Transport;
using Corrosion.Cluster.Tests.Support;

namespace Corrosion.Cluster.Tests;

public sealed class TlsCommandProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-tls-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task The_cli_makes_a_ca_and_node_and_client_certificates_signed_by_it()
    {
        var ca = await CorrosionProcess.RunAsync(Deadline, "tls", "ca", "generate", "-o", _dir);
        var server = await CorrosionProcess.RunAsync(Deadline, "tls", "server", "generate", "127.0.0.1", "node-1.internal",
            "--ca-cert", Path.Combine(_dir, "ca.pem"), "--ca-key", Path.Combine(_dir, "ca.key"), "-o", _dir);
        var client = await CorrosionProcess.RunAsync(Deadline, "tls", "client", "generate",
            "--ca-cert", Path.Combine(_dir, "ca.pem"), "--ca-key", Path.Combine(_dir, "ca.key"), "-o", _dir);

        Assert.True(ca.ExitCode == 0, ca.Stderr);
        Assert.True(server.ExitCode == 0, server.Stderr);
        Assert.True(client.ExitCode == 0, client.Stderr);
        using var authority = TlsCertificates.LoadPem(Path.Combine(_dir, "ca.pem"));
        using var node = TlsCertificates.LoadPem(Path.Combine(_dir, "server.pem"), Path.Combine(_dir, "server.key"));
        using var user = TlsCertificates.LoadPem(Path.Combine(_dir, "client.pem"), Path.Combine(_dir, "client.key"));
        Assert.True(TlsCertificates.IsIssuedBy(node, authority));
        Assert.True(TlsCertificates.IsIssuedBy(user, authority));
        Assert.True(node.HasPrivateKey);
    }

    [Fact]
    public async Task The_cli_refuses_to_overwrite_existing_files_and_says_why()
    {
        var first = await CorrosionProcess.RunAsync(Deadline, "tls", "ca", "generate", "-o", _dir);
        var before = await File.ReadAllTextAsync(Path.Combine(_dir, "ca.pem"));
        var second = await CorrosionProcess.RunAsync(Deadline, "tls", "ca", "generate", "-o", _dir);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("exists", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(_dir, "ca.pem")));
    }

    [Fact]
    public async Task A_missing_ca_is_a_clear_error()
    {
        var result = await CorrosionProcess.RunAsync(Deadline, "tls", "server", "generate", "127.0.0.1",
            "--ca-cert", Path.Combine(_dir, "nope.pem"), "--ca-key", Path.Combine(_dir, "nope.key"), "-o", _dir);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("nope.pem", result.Stderr, StringComparison.Ordinal);
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
