using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Transport;

public class GossipTransportFactoryTests
{
    [Fact]
    public void Auto_picks_quic_where_it_is_supported()
    {
        var (kind, reason) = GossipTransportFactory.Choose(TransportKind.Auto, quicSupported: true);
        Assert.Equal(TransportKind.Quic, kind);
        Assert.Contains("supported", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_falls_back_to_tcp_and_says_why()
    {
        var (kind, reason) = GossipTransportFactory.Choose(TransportKind.Auto, quicSupported: false);
        Assert.Equal(TransportKind.Tcp, kind);
        Assert.Contains("libmsquic not found", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_quic_where_it_cannot_run_is_an_error()
    {
        var error = Assert.Throws<PlatformNotSupportedException>(() => GossipTransportFactory.Choose(TransportKind.Quic, quicSupported: false));
        Assert.Contains("libmsquic not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tcp_is_tcp_everywhere()
    {
        Assert.Equal(TransportKind.Tcp, GossipTransportFactory.Choose(TransportKind.Tcp, quicSupported: true).Kind);
    }

    [Fact]
    public async Task Create_makes_the_transport_the_platform_supports()
    {
        await using var transport = GossipTransportFactory.Create(new TransportOptions { Transport = TransportKind.Auto });
        if (GossipTransportFactory.IsQuicSupported())
        {
            Assert.IsNotType<TcpGossipTransport>(transport); // QuicGossipTransport
        }
        else
        {
            Assert.IsType<TcpGossipTransport>(transport);
        }
    }
}
