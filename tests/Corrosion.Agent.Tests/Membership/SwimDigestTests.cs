using Corrosion.Agent.Membership;
using Corrosion.Agent.Replication.Sync;

namespace Corrosion.Agent.Tests.Membership;

/// <summary>SWIM datagrams carry the sender's sync digest, and the receiver records it per member.</summary>
public sealed class SwimDigestTests
{
    [Fact]
    public void Every_datagram_carries_the_published_digest_and_none_once_it_is_withdrawn()
    {
        var board = new SyncDigestBoard();
        var swim = new SwimHarness(digests: board).WithMembers(2, 3);
        board.Publish(new SyncDigest(0x1234, 0x5678));
        swim.Receive(SwimMessageType.Ping, SwimHarness.Identity(2), sequence: 9);
        Assert.Equal(new SyncDigest(0x1234, 0x5678), Assert.Single(swim.SentOf(SwimMessageType.Ack)).Packet.Digest);

        swim.ClearOutputs();
        board.Publish(null);
        swim.Receive(SwimMessageType.Ping, SwimHarness.Identity(2), sequence: 10);
        Assert.Null(Assert.Single(swim.SentOf(SwimMessageType.Ack)).Packet.Digest);
    }

    [Fact]
    public void A_members_digest_is_recorded_and_withdrawn_with_its_datagrams()
    {
        var board = new SyncDigestBoard();
        var swim = new SwimHarness(digests: board).WithMembers(2);
        var peer = SwimHarness.Identity(2);
        var digest = new SyncDigest(7, 8);
        swim.Swim.HandlePacket(SwimCodec.Encode(new SwimPacket(1, SwimMessageType.Gossip, peer, 0, default, []) { Digest = digest }), peer.Address, swim.Now, swim);
        Assert.True(board.Matches(peer.Id, digest, TimeSpan.FromMinutes(1)));

        swim.Receive(SwimMessageType.Gossip, peer);
        Assert.False(board.Matches(peer.Id, digest, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void A_full_datagram_with_a_digest_stays_within_the_packet_size()
    {
        var board = new SyncDigestBoard();
        board.Publish(new SyncDigest(1, 1));
        var options = SwimOptions.Lan with { MaxPacketSize = SwimCodec.MinimumPacketSize };
        var swim = new SwimHarness(options, digests: board).WithMembers(2);
        // New members heard from a peer become rumours to piggyback: more than one datagram holds.
        var joined = Enumerable.Range(3, 10).Select(n => new MemberUpdate(SwimHarness.Identity(n), MemberState.Alive)).ToArray();
        swim.Receive(SwimMessageType.Gossip, SwimHarness.Identity(2), updates: joined);
        swim.ClearOutputs();
        swim.Receive(SwimMessageType.Ping, SwimHarness.Identity(2), sequence: 1);
        var ack = Assert.Single(swim.SentOf(SwimMessageType.Ack));
        Assert.True(ack.Size <= SwimCodec.MinimumPacketSize, $"{ack.Size} bytes");
        Assert.NotEmpty(ack.Packet.Updates);
        Assert.NotNull(ack.Packet.Digest);
    }

    [Fact]
    public void The_digest_trailer_round_trips_and_a_wrong_tag_is_rejected_as_trailing_bytes()
    {
        var packet = new SwimPacket(1, SwimMessageType.Gossip, SwimHarness.Identity(2), 0, default, []) { Digest = new SyncDigest(3, 4) };
        var bytes = SwimCodec.Encode(packet);
        Assert.True(SwimCodec.TryDecode(bytes, out var decoded, out _));
        Assert.Equal(new SyncDigest(3, 4), decoded!.Digest);

        bytes[^(SyncDigest.Size + 1)] = (byte)'X';
        Assert.False(SwimCodec.TryDecode(bytes, out _, out var reason));
        Assert.Equal(PacketRejectReason.TrailingBytes, reason);
    }
}
