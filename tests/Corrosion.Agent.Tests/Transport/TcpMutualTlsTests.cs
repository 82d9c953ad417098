using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Corrosion.Agent.Transport;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Tests.Transport;

/// <summary>
/// Mutual TLS between nodes on the TCP transport with certificates made by <see cref="TlsCertificates"/>
/// (what <c>corrosion tls</c> writes): strangers and expired certificates are refused, counted and
/// logged; certificates are re-read by <see cref="IGossipTransport.ReloadCertificates"/> (SIGHUP)
/// without dropping open links.
/// </summary>
public sealed class TcpMutualTlsTests : IAsyncLifetime, IDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly TempCertificates _certs = new();

    private static TransportOptions Options => new()
    {
        Transport = TransportKind.Tcp,
        ClusterId = 1,
        BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        ConnectTimeout = TimeSpan.FromSeconds(3),
        SendTimeout = TimeSpan.FromSeconds(3),
        ReconnectBackoffMin = TimeSpan.FromMilliseconds(20),
        ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
    };

    private async Task<TcpGossipTransport> StartAsync(TransportOptions options, ILogger? logger = null)
    {
        var transport = new TcpGossipTransport(options, logger, random: new Random(3));
        _owned.Add(transport);
        await transport.StartAsync(CancellationToken.None);
        return transport;
    }

    private static async Task<int> ReceiveIndexAsync(IGossipTransport transport)
    {
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        return TestFrames.IndexOf((await transport.Frames.ReadAsync(cts.Token)).Frame.Span);
    }

    [Fact]
    public async Task A_peer_whose_certificate_another_ca_signed_is_refused_counted_and_logged()
    {
        using var strangers = new TempCertificates("Stranger CA");
        var log = new ListLogger();
        var b = await StartAsync(_certs.NodeOptions(Options, "b"), log);
        // The stranger accepts anyone, so only b's check of its client certificate can stop it.
        var stranger = await StartAsync(strangers.NodeOptions(Options, "s", mutual: false) with { TlsInsecure = true });

        await Assert.ThrowsAnyAsync<Exception>(() => stranger.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None));
        stranger.TrySend(b.LocalEndPoint, TestFrames.Make(1, 64));

        await Eventually.TrueAsync(() => b.Counters.TlsRefusals >= 2, "b counts both refused handshakes");
        Assert.Contains(log.Lines, l => l.Contains("refused TLS peer", StringComparison.Ordinal) && l.Contains("is not signed by the configured CA CN=Test CA", StringComparison.Ordinal));
        Assert.False(b.Frames.TryRead(out _));
        Assert.False(b.IncomingSessions.TryRead(out _));
    }

    [Fact]
    public async Task The_dialling_node_refuses_and_counts_a_server_from_another_ca()
    {
        using var strangers = new TempCertificates("Stranger CA");
        var stranger = await StartAsync(strangers.NodeOptions(Options, "s", mutual: false) with { TlsInsecure = true });
        var log = new ListLogger();
        var a = await StartAsync(_certs.NodeOptions(Options, "a"), log);

        await Assert.ThrowsAnyAsync<Exception>(() => a.OpenSessionAsync(stranger.LocalEndPoint, CancellationToken.None));

        Assert.Equal(1, a.Counters.TlsRefusals);
        Assert.Contains(log.Lines, l => l.Contains("Stranger CA", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expired_certificate_is_refused_and_counted()
    {
        var log = new ListLogger();
        var b = await StartAsync(_certs.NodeOptions(Options, "b"), log);
        var (cert, key) = IssueExpired(_certs, "old");
        // Signed by the right CA, but its validity ended minutes ago.
        var expired = await StartAsync(Options with { TlsCertFile = cert, TlsKeyFile = key, TlsInsecure = true });

        await Assert.ThrowsAnyAsync<Exception>(() => expired.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None));

        await Eventually.TrueAsync(() => b.Counters.TlsRefusals == 1, "b counts the refused handshake");
        Assert.Contains(log.Lines, l => l.Contains("expired on", StringComparison.Ordinal));
        Assert.False(b.IncomingSessions.TryRead(out _));
    }

    [Fact]
    public async Task Reloaded_certificates_serve_new_handshakes_while_open_links_keep_going()
    {
        var a = await StartAsync(_certs.NodeOptions(Options, "a"));
        var bOptions = _certs.NodeOptions(Options, "b");
        var log = new ListLogger();
        var b = await StartAsync(bOptions, log);
        Assert.True(a.TrySend(b.LocalEndPoint, TestFrames.Make(1, 64)));
        Assert.Equal(1, await ReceiveIndexAsync(b));
        var before = await ServerCertificateAsync(b.LocalEndPoint);

        // Rotate b's files in place (as an operator would), then SIGHUP's reload.
        var rotated = _certs.IssueNode("b-next");
        File.Copy(rotated.Cert, bOptions.TlsCertFile!, overwrite: true);
        File.Copy(rotated.Key, bOptions.TlsKeyFile!, overwrite: true);
        Assert.True(b.ReloadCertificates());

        Assert.True(a.TrySend(b.LocalEndPoint, TestFrames.Make(2, 64)));
        Assert.Equal(2, await ReceiveIndexAsync(b));
        Assert.Equal(1, a.Counters.Connections);
        var after = await ServerCertificateAsync(b.LocalEndPoint);
        Assert.NotEqual(before, after);
        using var rotatedCertificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(rotated.Cert));
        Assert.Equal(rotatedCertificate.SerialNumber, after);
        await using var session = await a.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None);
        Assert.Equal(1, b.Counters.CertificateReloads);
        Assert.Contains(log.Lines, l => l.Contains("certificates reloaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reload_with_a_new_ca_admits_peers_of_that_ca()
    {
        using var next = new TempCertificates("Next CA");
        var bOptions = _certs.NodeOptions(Options, "b");
        var b = await StartAsync(bOptions);
        var newcomer = await StartAsync(next.NodeOptions(Options, "n", mutual: false) with { TlsInsecure = true });
        await Assert.ThrowsAnyAsync<Exception>(() => newcomer.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None));

        var moved = next.IssueNode("b-moved");
        File.Copy(moved.Cert, bOptions.TlsCertFile!, overwrite: true);
        File.Copy(moved.Key, bOptions.TlsKeyFile!, overwrite: true);
        File.Copy(next.CaFile, bOptions.TlsCaFile!, overwrite: true);
        b.ReloadCertificates();

        await using var session = await newcomer.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None);
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        await using var served = await b.IncomingSessions.ReadAsync(cts.Token);
    }

    [Fact]
    public async Task A_failed_reload_keeps_the_previous_certificates()
    {
        var a = await StartAsync(_certs.NodeOptions(Options, "a"));
        var bOptions = _certs.NodeOptions(Options, "b");
        var log = new ListLogger();
        var b = await StartAsync(bOptions, log);
        await File.WriteAllTextAsync(bOptions.TlsKeyFile!, "not a key");

        var error = Assert.Throws<InvalidOperationException>(() => b.ReloadCertificates());

        Assert.Contains("previous ones stay in use", error.Message, StringComparison.Ordinal);
        Assert.Contains(log.Lines, l => l.Contains("reloading certificates failed", StringComparison.Ordinal));
        await using var session = await a.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None);
        Assert.Equal(0, b.Counters.CertificateReloads);
    }

    [Fact]
    public async Task Reload_without_certificate_files_does_nothing()
    {
        var plain = await StartAsync(Options with { Plaintext = true });

        Assert.False(plain.ReloadCertificates());
    }

    /// <summary>The serial number of the certificate a TLS handshake with <paramref name="server"/> presents.</summary>
    private async Task<string> ServerCertificateAsync(EndPoint server)
    {
        var (cert, key) = _certs.IssueNode("probe-" + Guid.NewGuid().ToString("N"));
        using var client = X509Certificate2.CreateFromPemFile(cert, key);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync((IPEndPoint)server);
        await using var ssl = new SslStream(tcp.GetStream());
        string? serial = null;
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ClientCertificates = [client],
            RemoteCertificateValidationCallback = (_, presented, _, _) =>
            {
                // Only the serial is wanted here, but check it is the mesh's all the same.
                serial = presented?.GetSerialNumberString();
                using var owned = X509CertificateLoader.LoadCertificate(presented!.GetRawCertData());
                return TlsCertificates.IsIssuedBy(owned, _certs.Authority);
            },
        });
        return serial!;
    }

    private static (string Cert, string Key) IssueExpired(TempCertificates certs, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        // Within the CA's validity (it starts a few minutes back), and over before now.
        var start = new DateTimeOffset(certs.Authority.NotBefore.ToUniversalTime());
        using var signed = request.Create(certs.Authority, start, start.AddSeconds(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = signed.CopyWithPrivateKey(key);
        var dir = Directory.CreateTempSubdirectory("corro-expired-").FullName;
        var (certFile, keyFile) = (Path.Combine(dir, name + ".pem"), Path.Combine(dir, name + ".key"));
        TlsCertificates.WritePemFiles(withKey, certFile, keyFile);
        return (certFile, keyFile);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }

    public void Dispose() => _certs.Dispose();

    /// <summary>Keeps every formatted log line.</summary>
    private sealed class ListLogger : ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }
}
