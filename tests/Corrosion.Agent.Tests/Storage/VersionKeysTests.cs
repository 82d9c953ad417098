using System.Buffers;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

public class VersionKeysTests
{
    [Fact]
    public void Key_lists_of_several_tables_decode_as_written()
    {
        var buffer = new ArrayBufferWriter<byte>();
        VersionKeys.Append(buffer, "items", [1, -5, long.MaxValue]);
        VersionKeys.Append(buffer, "empty", []);
        VersionKeys.Append(buffer, "größe", [42]);

        var decoded = VersionKeys.Decode(buffer.WrittenSpan);

        Assert.Equal(2, decoded.Count);
        Assert.Equal([1L, -5L, long.MaxValue], decoded["items"]);
        Assert.Equal([42L], decoded["größe"]);
    }

    [Fact]
    public void A_truncated_list_decodes_to_what_is_complete()
    {
        var buffer = new ArrayBufferWriter<byte>();
        VersionKeys.Append(buffer, "items", [7, 8]);
        var decoded = VersionKeys.Decode(buffer.WrittenSpan[..^3]);
        Assert.Equal([7L], decoded["items"]);
    }
}
