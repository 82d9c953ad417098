using System.Net;
using System.Net.Sockets;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Membership;

/// <summary>The shell reads ICMP port-unreachable refusals from the UDP socket's error queue (Linux) and hands them to the core.</summary>
public sealed class MembershipRefusalTests
{
    [SkippableFact]
    public async Task A_datagram_to_a_closed_port_is_reported_as_refused_by_that_address()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "ICMP errors on an unconnected UDP socket (IP_RECVERR) are Linux's");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.True(UdpRefusals.Enable(socket));
        var closed = ClosedPort();

        socket.SendTo([1, 2, 3], closed.ToEndPoint());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<SocketException>(async () => await socket.ReceiveFromAsync(new byte[16], new IPEndPoint(IPAddress.Any, 0), timeout.Token));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);

        var refused = new List<NodeAddress>();
        UdpRefusals.Drain(socket, refused);
        Assert.Equal([closed], refused);

        // The queue is empty now.
        refused.Clear();
        UdpRefusals.Drain(socket, refused);
        Assert.Empty(refused);
    }

    [SkippableFact]
    public async Task A_relayed_ping_to_a_closed_port_is_nacked_long_before_the_relay_timeout()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "ICMP errors on an unconnected UDP socket (IP_RECVERR) are Linux's");

        // Slow probing: without the refusal the relay would nack only after 80 % of the 9 s probe timeout.
        var swim = MembershipTestNode.FastSwim with { ProbeIntervalMs = 10_000, ProbeTimeoutMs = 9_000 };
        await using var node = await MembershipTestNode.StartAsync(swim: swim);
        using var origin = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        origin.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var originIdentity = new MemberIdentity(ActorId.NewId(), NodeAddress.FromEndPoint((IPEndPoint)origin.LocalEndPoint!), 0, 7, 1_000);
        var started = DateTime.UtcNow;

        var pingReq = SwimCodec.Encode(new SwimPacket(7, SwimMessageType.PingReq, originIdentity, 41, ClosedPort(), []));
        origin.SendTo(pingReq, node.Address.ToEndPoint());

        var buffer = new byte[2_048];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        while (true)
        {
            var received = await origin.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
            Assert.True(SwimCodec.TryDecode(buffer.AsSpan(0, received.ReceivedBytes), out var packet, out _));
            if (packet!.Type == SwimMessageType.Nack)
            {
                Assert.Equal(41u, packet.Sequence);
                break;
            }
        }

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(6), "the nack came from the refusal, not the relay timeout");
    }

    /// <summary>A loopback UDP port with nothing bound to it (bound once, then closed).</summary>
    private static NodeAddress ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return NodeAddress.FromEndPoint((IPEndPoint)probe.LocalEndPoint!);
    }
}
