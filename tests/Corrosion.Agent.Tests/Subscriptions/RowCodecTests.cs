using System.Text;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class RowCodecTests
{
    private static readonly SqlValue[] EveryKind =
    [
        SqlValue.FromInteger(1),
        SqlValue.FromText("é"),
        SqlValue.Null,
        SqlValue.FromBlob([1, 2]),
        SqlValue.FromReal(0.5),
    ];

    [Fact]
    public void Encoding_keeps_the_stored_layout_count_then_kind_and_payload_per_value_then_the_suffix()
    {
        // Keys are stored in subscription files: the bytes must not change.
        byte[] expected =
        [
            0x05,
            0x01, 0x01, 0, 0, 0, 0, 0, 0, 0,
            0x03, 0x02, 0xC3, 0xA9,
            0x00,
            0x04, 0x02, 0x01, 0x02,
            0x02, 0, 0, 0, 0, 0, 0, 0xE0, 0x3F,
            0xAC, 0x02,
        ];

        Assert.Equal(expected, RowCodec.Encode(EveryKind, 300));
        Assert.Equal(expected[..^2], RowCodec.Encode(EveryKind));
    }

    [Fact]
    public void A_long_text_gets_a_two_byte_length_and_decodes_back()
    {
        var text = new string('x', 200) + "\u00e9\ud83d\ude00";
        var encoded = RowCodec.Encode([SqlValue.FromText(text)]);

        var utf8 = Encoding.UTF8.GetBytes(text);
        Assert.Equal([0x01, 0x03, (byte)(0x80 | (utf8.Length & 0x7F)), (byte)(utf8.Length >> 7), .. utf8], encoded);
        Assert.Equal(text, RowCodec.Decode(encoded)[0].AsText);
    }

    [Fact]
    public void A_lone_surrogate_is_encoded_as_utf8_encoding_replaces_it()
    {
        var encoded = RowCodec.Encode([SqlValue.FromText("a\ud800")]);

        Assert.Equal([0x01, 0x03, 0x04, (byte)'a', 0xEF, 0xBF, 0xBD], encoded);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(70_000)]
    public void A_suffix_added_to_an_encoding_equals_encoding_with_the_suffix(int suffix)
    {
        Assert.Equal(RowCodec.Encode(EveryKind, suffix), RowCodec.WithSuffix(RowCodec.Encode(EveryKind), suffix));
    }

    [Fact]
    public void Every_kind_decodes_back()
    {
        var decoded = RowCodec.Decode(RowCodec.Encode(EveryKind));

        Assert.Equal(EveryKind, decoded);
    }
}
