using System.Buffers;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Agent.Tests.Replication;

public class ReplicationCodecTests
{
    private static readonly Config Many = Config.QuickThrowOnFailure.WithMaxTest(300);

    private static readonly ActorId ActorA = ActorId.Parse("00112233-4455-6677-8899-aabbccddeeff");

    [Fact]
    public void Every_message_round_trips_through_a_frame()
    {
        Check.One(
            Many,
            Prop.ForAll(
                Arb.From(WireGenerators.Message.SelectMany(_ => WireGenerators.ClusterId, (m, c) => (m, c))),
                t =>
                {
                    var frame = ReplicationCodec.Encode(t.c, t.m);
                    var result = ReplicationCodec.TryDecode(frame, t.c);
                    return result.IsSuccess
                        && result.Header.ClusterId == t.c
                        && result.Header.Kind == t.m.Kind
                        && WireEquality.AreEqual(t.m, result.Message!);
                }));
    }

    [Fact]
    public void Encoding_is_canonical_so_a_decoded_frame_reencodes_to_the_same_bytes()
    {
        Check.One(
            Many,
            Prop.ForAll(
                Arb.From(WireGenerators.Message),
                m =>
                {
                    var frame = ReplicationCodec.Encode(7, m);
                    var again = ReplicationCodec.Encode(7, ReplicationCodec.TryDecode(frame).Message!);
                    return frame.AsSpan().SequenceEqual(again) && frame.Length == ReplicationCodec.GetEncodedSize(m);
                }));
    }

    [Fact]
    public void Encoding_into_a_buffer_writer_matches_the_array_form()
    {
        var message = new BroadcastChangeset(SmallChangeset());
        var writer = new ArrayBufferWriter<byte>(1);
        writer.Write(new byte[] { 0xEE });
        var written = ReplicationCodec.Encode(3, message, writer);
        Assert.Equal(ReplicationCodec.Encode(3, message), writer.WrittenSpan[1..].ToArray());
        Assert.Equal(written + 1, writer.WrittenCount);
    }

    [Fact]
    public void Ping_frame_has_fixed_golden_bytes()
    {
        var frame = ReplicationCodec.Encode(0x1234, new Ping(0x0102030405060708));
        Assert.Equal("0C000000" + "07" + "01" + "3412" + "0807060504030201", Convert.ToHexString(frame));
    }

    [Fact]
    public void Applied_report_frame_has_fixed_golden_bytes()
    {
        var reporter = ActorId.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var origin = ActorId.Parse("ffeeddcc-bbaa-9988-7766-554433221100");
        var frame = ReplicationCodec.Encode(1, new AppliedReport(reporter, origin, 0x0102030405060708));
        Assert.Equal(
            "2C000000" + "08" + "01" + "0100" + "00112233445566778899AABBCCDDEEFF" + "FFEEDDCCBBAA99887766554433221100" + "0807060504030201",
            Convert.ToHexString(frame));
    }

    [Fact]
    public void Broadcast_changeset_frame_has_fixed_golden_bytes()
    {
        var frame = ReplicationCodec.Encode(1, new BroadcastChangeset(SmallChangeset()));
        const string expected =
            "8F000000" + "01" + "01" + "0100" // header: length 143, kind broadcast, version 1, cluster 1
            + "01" + "00112233445566778899AABBCCDDEEFF" // full changeset, actor
            + "0500000000000000" // version 5
            + "0000000000000000" + "0000000000000000" // seqs 0..0
            + "0000000000000000" // last seq 0
            + "2A00000000000000" // timestamp 42
            + "01000000" // one change
            + "01000000" + "74" // table "t"
            + "01000000" + "01" + "0700000000000000" // pk [7]
            + "01000000" + "63" // cid "c"
            + "03" + "02000000" + "6869" // value 'hi'
            + "0100000000000000" + "0500000000000000" // col_version 1, db_version 5
            + "00112233445566778899AABBCCDDEEFF" // site id
            + "0100000000000000" + "0000000000000000"; // cl 1, seq 0
        Assert.Equal(expected, Convert.ToHexString(frame));
        Assert.Equal(4 + 0x8F, frame.Length);
    }

    [Fact]
    public void Frame_of_an_unknown_future_format_version_is_rejected_with_a_clear_reason()
    {
        var frame = ReplicationCodec.Encode(1, new Ping(1));
        frame[5] = ReplicationCodec.FormatVersion + 1;
        var result = ReplicationCodec.TryDecode(frame, 1);
        Assert.False(result.IsSuccess);
        Assert.Equal(DecodeError.UnsupportedVersion, result.Error);
        Assert.Contains("unsupported wire format version 2", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Frame_of_another_cluster_is_rejected()
    {
        var frame = ReplicationCodec.Encode(1, new Ping(1));
        var result = ReplicationCodec.TryDecode(frame, 2);
        Assert.Equal(DecodeError.ForeignCluster, result.Error);
        Assert.Equal((ushort)1, result.Header.ClusterId);
    }

    [Fact]
    public void Unknown_kind_is_rejected()
    {
        var frame = ReplicationCodec.Encode(1, SyncDone.Instance);
        frame[4] = 200;
        Assert.Equal(DecodeError.UnknownKind, ReplicationCodec.TryDecode(frame).Error);
    }

    [Fact]
    public void Every_truncation_of_a_valid_frame_is_an_error()
    {
        var frame = ReplicationCodec.Encode(1, new BroadcastChangeset(SmallChangeset()));
        for (var n = 0; n < frame.Length; n++)
        {
            var result = ReplicationCodec.TryDecode(frame.AsSpan(0, n));
            Assert.False(result.IsSuccess);
            Assert.Equal(DecodeError.Truncated, result.Error);
        }
    }

    [Fact]
    public void Payload_shortened_consistently_with_its_length_field_is_malformed_not_an_exception()
    {
        Check.One(
            Many,
            Prop.ForAll(
                Arb.From(WireGenerators.Message.Where(m => ReplicationCodec.GetEncodedSize(m) > FrameHeader.Size)),
                m =>
                {
                    var frame = ReplicationCodec.Encode(1, m);
                    var cut = frame[..^1];
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(cut, (uint)(cut.Length - 4));
                    var result = ReplicationCodec.TryDecode(cut);
                    return !result.IsSuccess && result.Error == DecodeError.Malformed && result.Detail is not null;
                }));
    }

    [Fact]
    public void Trailing_bytes_after_a_payload_are_malformed()
    {
        var frame = ReplicationCodec.Encode(1, new Ping(9));
        var longer = new byte[frame.Length + 1];
        frame.CopyTo(longer, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(longer, (uint)(longer.Length - 4));
        Assert.Equal(DecodeError.Malformed, ReplicationCodec.TryDecode(longer).Error);
    }

    [Fact]
    public void Huge_counts_are_rejected_without_allocating_for_them()
    {
        // A SyncRequest claiming 2^32-1 needs in an 12-byte frame.
        var frame = Convert.FromHexString("08000000" + "03" + "01" + "0100" + "FFFFFFFF");
        var result = ReplicationCodec.TryDecode(frame);
        Assert.Equal(DecodeError.Malformed, result.Error);
        Assert.Contains("cannot fit", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_text_is_malformed()
    {
        var frame = ReplicationCodec.Encode(1, new SyncReject(SyncRejectReason.Busy, "ab"));
        frame[^1] = 0xFF;
        Assert.Equal(DecodeError.Malformed, ReplicationCodec.TryDecode(frame).Error);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(1234);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length >= 4 && random.Next(2) == 0)
            {
                // Make the length field consistent half of the time so decoding reaches the payload.
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)(bytes.Length - 4));
                if (bytes.Length > 5)
                {
                    bytes[5] = ReplicationCodec.FormatVersion;
                    bytes[4] = (byte)random.Next(0, 9);
                }
            }

            var result = ReplicationCodec.TryDecode(bytes);
            Assert.True(result.IsSuccess || result.Detail is not null);
        }
    }

    [Fact]
    public void Bit_flips_never_throw_and_anything_accepted_reencodes_exactly()
    {
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(200),
            Prop.ForAll(
                Arb.From(WireGenerators.Message.SelectMany(_ => Gen.Choose(0, int.MaxValue), (m, seed) => (m, seed))),
                t =>
                {
                    var frame = ReplicationCodec.Encode(1, t.m);
                    var random = new Random(t.seed);
                    for (var i = 0; i < 20; i++)
                    {
                        var copy = (byte[])frame.Clone();
                        var bit = random.Next(copy.Length * 8);
                        copy[bit / 8] ^= (byte)(1 << (bit % 8));
                        var result = ReplicationCodec.TryDecode(copy);
                        if (result.IsSuccess && !ReplicationCodec.Encode(result.Header.ClusterId, result.Message!).AsSpan().SequenceEqual(copy))
                        {
                            return false;
                        }

                        if (!result.IsSuccess && result.Detail is null)
                        {
                            return false;
                        }
                    }

                    return true;
                }));
    }

    private static ChangesetFull SmallChangeset() =>
        new(
            ActorA,
            5,
            [new Change("t", [SqlValue.FromInteger(7)], "c", SqlValue.FromText("hi"), 1, 5, ActorA, 1, 0)],
            new SeqRange(0, 0),
            0,
            42);
}
