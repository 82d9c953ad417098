using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Transport;

public class FrameStreamReaderTests
{
    private static readonly TransportOptions Options = new() { ClusterId = 1, MaxFrameSize = 4096 };

    /// <summary>Hands out at most <c>chunk</c> bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    private static async Task<(List<int> Indexes, Exception? Error, TransportCounters Counters)> ReadAllAsync(byte[] bytes, int chunk)
    {
        var counters = new TransportCounters();
        await using var stream = new TrickleStream(bytes, chunk);
        await using var reader = new FrameStreamReader(stream, Options, counters, TimeSpan.FromSeconds(10));
        var indexes = new List<int>();
        try
        {
            while (await reader.ReadAsync(CancellationToken.None) is { } frame)
            {
                indexes.Add(TestFrames.IndexOf(frame));
            }
        }
        catch (InvalidDataException ex)
        {
            return (indexes, ex, counters);
        }

        return (indexes, null, counters);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Frames_split_across_reads_come_out_whole(int chunk)
    {
        var bytes = Enumerable.Range(0, 20).SelectMany(i => TestFrames.Make(i, 12 + (i * 37))).ToArray();
        var (indexes, error, counters) = await ReadAllAsync(bytes, chunk);
        Assert.Null(error);
        Assert.Equal(Enumerable.Range(0, 20), indexes);
        Assert.Equal(20, counters.FramesReceived);
    }

    [Fact]
    public async Task Frames_of_another_cluster_are_skipped_and_counted()
    {
        var bytes = TestFrames.Make(1, 40, cluster: 9).Concat(TestFrames.Make(2, 40)).ToArray();
        var (indexes, error, counters) = await ReadAllAsync(bytes, 5);
        Assert.Null(error);
        Assert.Equal([2], indexes);
        Assert.Equal(1, counters.ForeignClusterFrames);
    }

    [Fact]
    public async Task Oversized_frame_fails_the_stream_from_its_length_alone()
    {
        // Only the 4-byte length of the big frame is present: the reader must not wait for the rest.
        var bytes = TestFrames.Make(1, 40).Concat(TestFrames.Make(2, 5000).Take(4)).ToArray();
        var (indexes, error, counters) = await ReadAllAsync(bytes, 4096);
        Assert.Equal([1], indexes);
        Assert.IsType<InvalidDataException>(error);
        Assert.Equal(1, counters.OversizedFrames);
    }

    [Fact]
    public async Task Stream_ending_inside_a_frame_is_malformed()
    {
        var bytes = TestFrames.Make(1, 40).Concat(TestFrames.Make(2, 40).Take(20)).ToArray();
        var (indexes, error, counters) = await ReadAllAsync(bytes, 4096);
        Assert.Equal([1], indexes);
        Assert.IsType<InvalidDataException>(error);
        Assert.Equal(1, counters.MalformedStreams);
    }

    [Fact]
    public async Task Silent_stream_times_out_after_the_idle_timeout()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        await using var stream = pipe.Reader.AsStream();
        await using var reader = new FrameStreamReader(stream, Options, new TransportCounters(), TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAsync<TimeoutException>(async () => await reader.ReadAsync(CancellationToken.None));
        await pipe.Writer.CompleteAsync();
    }
}
