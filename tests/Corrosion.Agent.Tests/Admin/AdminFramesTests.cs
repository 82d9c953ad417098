using System.Text.Json.Nodes;
using Corrosion.Agent.Admin;

namespace Corrosion.Agent.Tests.Admin;

public sealed class AdminFramesTests
{
    [Fact]
    public async Task A_frame_is_a_big_endian_length_and_json()
    {
        using var stream = new MemoryStream();

        await AdminFrames.WriteAsync(stream, new JsonObject { ["command"] = "ping" }, CancellationToken.None);

        var bytes = stream.ToArray();
        Assert.Equal(new byte[] { 0, 0, 0, 18 }, bytes[..4]);
        Assert.Equal("{\"command\":\"ping\"}", System.Text.Encoding.UTF8.GetString(bytes[4..]));
        stream.Position = 0;
        var read = await AdminFrames.ReadAsync(stream, 1024, CancellationToken.None);
        Assert.Equal("ping", read!["command"]!.GetValue<string>());
        Assert.Null(await AdminFrames.ReadAsync(stream, 1024, CancellationToken.None));
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 4, 1 }, "larger than")]
    [InlineData(new byte[] { 0, 0 }, "cut short")]
    [InlineData(new byte[] { 0, 0, 0, 5, (byte)'{' }, "cut short")]
    [InlineData(new byte[] { 0, 0, 0, 2, (byte)'[', (byte)']' }, "not a JSON object")]
    [InlineData(new byte[] { 0, 0, 0, 1, (byte)'{' }, "not JSON")]
    public async Task A_malformed_frame_is_refused_saying_why(byte[] input, string why)
    {
        using var stream = new MemoryStream(input);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => AdminFrames.ReadAsync(stream, 1024, CancellationToken.None));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }
}
