using Akka.Actor;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using Corrosion.Agent.Transport;
using Corrosion.Client.Akka.Tests.Support;

namespace Corrosion.Client.Akka.Tests;

/// <summary>With <c>akka_api.tls</c>, the gateway speaks Akka.Remote over TLS only.</summary>
public sealed class TlsProcessTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-akka-client-tests", Guid.NewGuid().ToString("N"));
    private AgentProcess _agent = null!;
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _certificate = TlsCertificates.CreateSelfSigned("127.0.0.1");
        var cert = Path.Combine(_dir, "akka.pem");
        var key = Path.Combine(_dir, "akka.key");
        TlsCertificates.WritePemFiles(_certificate, cert, key);
        _agent = await AgentProcess.StartAsync(_dir, $$"""
            akka_api.tls { cert_file = "{{cert}}", key_file = "{{key}}", insecure = true }
            """);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _certificate.Dispose();
    }

    [Fact]
    public async Task A_tls_client_is_served_and_a_plain_one_is_not()
    {
        var tlsConfig = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = true")
            .WithFallback(CorrosionAkkaClient.ActorSystemConfig());
        var tlsSystem = ActorSystem.Create("tls-client", BootstrapSetup.Create().WithConfig(tlsConfig)
            .And(new DotNettySslSetup(_certificate, suppressValidation: true, requireMutualAuthentication: false)));
        var plainSystem = ActorSystem.Create("plain-client", CorrosionAkkaClient.ActorSystemConfig());
        try
        {
            var tlsOptions = new CorrosionAkkaClientOptions { RequestTimeout = TimeSpan.FromSeconds(30) };
            tlsOptions.Nodes.Add(_agent.AkkaAddress);
            using var tls = new CorrosionAkkaClient(tlsSystem, tlsOptions);
            var plainOptions = new CorrosionAkkaClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) };
            // A client without TLS, pointed at the same host and port.
            plainOptions.Nodes.Add(_agent.AkkaAddress.Replace("akka.ssl.tcp://", "akka.tcp://", StringComparison.Ordinal));
            using var plain = new CorrosionAkkaClient(plainSystem, plainOptions);

            var committed = await tls.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "tls-1", "ams");
            var refused = await Assert.ThrowsAsync<CorrosionAkkaException>(() => plain.HealthAsync());

            Assert.NotNull(committed.Version);
            Assert.Equal(Corrosion.Client.Akka.Protocol.ClientErrorCode.Unavailable, refused.Code);
        }
        finally
        {
            await tlsSystem.Terminate();
            await plainSystem.Terminate();
        }
    }
}
