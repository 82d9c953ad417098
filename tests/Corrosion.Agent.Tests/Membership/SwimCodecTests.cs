using System.Net;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;
using static Corrosion.Agent.Tests.Membership.SwimHarness;

namespace Corrosion.Agent.Tests.Membership;

public sealed class SwimCodecTests
{
    private static SwimPacket RandomPacket(Random r)
    {
        MemberIdentity Id() => new(
            ActorId.FromRandom(r),
            r.Next(4) == 0
                ? new NodeAddress(new IPAddress(Bytes(r, 16)), r.Next(65536))
                : new NodeAddress(new IPAddress(Bytes(r, 4)), r.Next(65536)),
            r.NextInt64(),
            0,
            r.NextInt64());

        var cluster = (ushort)r.Next(65536);
        var type = (SwimMessageType)r.Next(1, 8);
        var updates = Enumerable.Range(0, r.Next(12)).Select(_ =>
        {
            var state = (MemberState)r.Next(1, 5);
            var from = state == MemberState.Suspect ? Id().Address : default;
            return new MemberUpdate(Id() with { ClusterId = cluster }, state, from);
        }).ToArray();
        var hasSeq = type is SwimMessageType.Ping or SwimMessageType.Ack or SwimMessageType.PingReq or SwimMessageType.Nack;
        return new SwimPacket(
            cluster,
            type,
            Id() with { ClusterId = cluster },
            hasSeq ? (uint)r.NextInt64(uint.MaxValue) : 0,
            type == SwimMessageType.PingReq ? Id().Address : default,
            updates);
    }

    private static byte[] Bytes(Random r, int n)
    {
        var b = new byte[n];
        r.NextBytes(b);
        return b;
    }

    [Fact]
    public void Encode_then_decode_gives_the_same_packet()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), seed =>
        {
            var packet = RandomPacket(new Random(seed));
            var ok = SwimCodec.TryDecode(SwimCodec.Encode(packet), out var decoded, out var reason);
            return ok && reason == PacketRejectReason.None
                && decoded! with { Updates = [] } == packet with { Updates = [] }
                && decoded.Updates.SequenceEqual(packet.Updates);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Every_truncation_is_rejected_as_truncated()
    {
        var packet = SwimCodec.Encode(RandomPacket(new Random(5)) with { Type = SwimMessageType.PingReq, Target = Address(3) });
        for (var length = 0; length < packet.Length; length++)
        {
            Assert.False(SwimCodec.TryDecode(packet.AsSpan(0, length), out _, out var reason));
            Assert.Equal(PacketRejectReason.Truncated, reason);
        }
    }

    [Fact]
    public void Wrong_version_and_trailing_bytes_are_rejected_with_their_reason()
    {
        var packet = SwimCodec.Encode(RandomPacket(new Random(6)));
        var wrongVersion = (byte[])packet.Clone();
        wrongVersion[0] = 99;
        Assert.False(SwimCodec.TryDecode(wrongVersion, out _, out var reason));
        Assert.Equal(PacketRejectReason.UnsupportedVersion, reason);

        Assert.False(SwimCodec.TryDecode([.. packet, 0], out _, out reason));
        Assert.Equal(PacketRejectReason.TrailingBytes, reason);
    }

    [Fact]
    public void Random_bytes_and_bit_flips_never_throw_and_rejections_are_counted()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        var r = new Random(7);
        var valid = SwimCodec.Encode(new SwimPacket(1, SwimMessageType.Ping, Identity(2), 1, default,
            [new MemberUpdate(Identity(3), MemberState.Suspect, Address(2)), new MemberUpdate(Identity(4), MemberState.Alive)]));
        var inputs = 0;
        for (var i = 0; i < 5_000; i++)
        {
            byte[] data;
            switch (i % 3)
            {
                case 0:
                    data = Bytes(r, r.Next(0, 200));
                    break;
                case 1:
                    data = (byte[])valid.Clone();
                    for (var f = 0; f <= r.Next(4); f++)
                    {
                        var bit = r.Next(data.Length * 8);
                        data[bit / 8] ^= (byte)(1 << (bit % 8));
                    }

                    break;
                default:
                    data = valid[..r.Next(valid.Length)];
                    break;
            }

            inputs++;
            h.ReceiveRaw(data);
            h.RunFor(50);
        }

        Assert.Equal(inputs, h.Swim.Counters.PacketsReceived + h.Swim.Counters.TotalRejected);
        Assert.True(h.Swim.Counters.Rejected(PacketRejectReason.Truncated) > 0);
        Assert.True(h.Swim.Counters.TotalRejected > inputs / 2);
    }

    [Fact]
    public void Sizes_reported_match_bytes_written()
    {
        var r = new Random(8);
        for (var i = 0; i < 200; i++)
        {
            var packet = RandomPacket(r);
            var expected = SwimCodec.Encode(packet with { Updates = [] }).Length + packet.Updates.Sum(u => SwimCodec.UpdateSize(u));
            Assert.Equal(expected, SwimCodec.Encode(packet).Length);
        }
    }
}
