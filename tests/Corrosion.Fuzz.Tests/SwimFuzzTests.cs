using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Corrosion.Fuzz.Tests;

/// <summary>
/// SWIM datagrams (valid packets of every type from strangers, byte-mutated ones, random bytes,
/// other clusters) sent to a node's real membership UDP socket. The node keeps serving, its data
/// does not change, and afterwards a real second node still joins it.
/// </summary>
public sealed class SwimFuzzTests(ITestOutputHelper output)
{
    private const ushort Cluster = 7;

    private static Gen<byte[]> Datagrams() => Gen.Frequency(
        (4, Packets()),
        (5, Packets().SelectMany(ByteMutator.Mutate)),
        (1, from n in Gen.Choose(0, 1500) from seed in Gen.Choose(0, int.MaxValue) select RandomBytes(n, seed)),
        (1, Gen.Elements<byte[]>([], [SwimCodec.Version], new byte[65000], [.. new byte[1400].Select((_, i) => (byte)i)])));

    private static Gen<byte[]> Packets() =>
        from seed in Gen.Choose(0, int.MaxValue)
        from foreign in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
        select SwimCodec.Encode(Packet(new Random(seed), foreign ? (ushort)(Cluster + 1) : Cluster));

    private static SwimPacket Packet(Random r, ushort cluster)
    {
        // Strangers on loopback addresses, so probes the node sends them go nowhere harmful.
        MemberIdentity Id() => new(
            ActorId.FromRandom(r),
            new NodeAddress(new IPAddress([127, 0, (byte)r.Next(256), (byte)r.Next(1, 255)]), r.Next(4) == 0 ? 0 : r.Next(1, 65536)),
            r.Next(3) == 0 ? r.NextInt64() : r.Next(5),
            cluster,
            r.NextInt64());
        var type = (SwimMessageType)r.Next(1, 8);
        var updates = Enumerable.Range(0, r.Next(8)).Select(_ =>
        {
            var state = (MemberState)r.Next(1, 5);
            return new MemberUpdate(Id(), state, state == MemberState.Suspect ? Id().Address : default);
        }).ToArray();
        var hasSeq = type is SwimMessageType.Ping or SwimMessageType.Ack or SwimMessageType.PingReq or SwimMessageType.Nack;
        return new SwimPacket(cluster, type, Id(), hasSeq ? (uint)r.NextInt64(uint.MaxValue) : 0, type == SwimMessageType.PingReq ? Id().Address : default, updates);
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Generated_datagrams_leave_the_node_serving_its_data_unchanged_and_joinable()
    {
        await using var node = await FuzzNode.StartAsync(replication: true);
        var before = node.Fingerprint(userTablesOnly: true);
        var findings = new FuzzFindings("swim-udp");
        var gen = Datagrams();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = node.GossipEndPoint;
        for (var i = 0; i < FuzzSettings.Inputs(3000) && !findings.TooMany; i++)
        {
            var datagram = FuzzSettings.Generate(gen, i);
            findings.Input();
            FuzzSettings.Trace("swim-udp", i, Convert.ToHexString(datagram.AsSpan(0, Math.Min(datagram.Length, 256))));
            try
            {
                await socket.SendToAsync(datagram, SocketFlags.None, target);
                findings.Outcome(SwimCodec.TryDecode(datagram, out _, out var reason) ? "decodes" : reason.ToString());
            }
            catch (SocketException e)
            {
                findings.Outcome("send " + e.SocketErrorCode);
            }

            if (i % 200 == 199)
            {
                // Pace the burst so the socket buffer is not the thing being tested, and check the node.
                if (!await node.HealthyAsync())
                {
                    findings.Crash(i, "the node stopped answering /v1/health", Convert.ToHexString(datagram));
                    break;
                }
            }
        }

        Assert.True(await node.HealthyAsync(), "the node is healthy after the campaign");
        Assert.Equal(before, node.Fingerprint(userTablesOnly: true));
        Assert.Equal(FuzzNode.SeededGuardRows, node.GuardRows());

        // Membership still works: a real node joins through the fuzzed one.
        await using var peer = await FuzzNode.StartAsync(replication: true, o => o.Membership = o.Membership with { Bootstrap = [node.GossipEndPoint.ToString()] });
        await WaitUntilAsync(async () => await AliveAsync(node, peer.Node.ActorId) && await AliveAsync(peer, node.Node.ActorId), "the two nodes see each other alive");
        foreach (var error in node.Errors.Entries.Take(20))
        {
            findings.Crash(-1, "error logged: " + error, string.Empty);
        }

        findings.AssertClean(output);
    }

    private static async Task<bool> AliveAsync(FuzzNode node, ActorId other)
    {
        using var response = await node.Root.GetAsync(new Uri("v1/members", UriKind.Relative));
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        using var members = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return members.RootElement.EnumerateArray().Any(m =>
            string.Equals(m.GetProperty("id").GetString(), other.ToString(), StringComparison.OrdinalIgnoreCase) && m.GetProperty("state").GetString() == "alive");
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting until {what}");
            await Task.Delay(50);
        }
    }
}
