using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Hocon.Tests;

public class DurationAndSizeTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("500 millis", 500)]
    [InlineData("5s", 5_000)]
    [InlineData("5 seconds", 5_000)]
    [InlineData("2m", 120_000)]
    [InlineData("2 minutes", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1 day", 86_400_000)]
    [InlineData("3d", 259_200_000)]
    [InlineData("250", 250)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2000us", 2)]
    [InlineData("3000000ns", 3)]
    [InlineData("00:00:05", 5_000)]
    public void Durations_parse_with_units_and_plain_numbers_are_milliseconds(string text, long milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), HoconDuration.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("ms")]
    [InlineData("5 parsecs")]
    [InlineData("five seconds")]
    public void Bad_durations_are_rejected(string text)
    {
        Assert.False(HoconDuration.TryParse(text, out _));
        var e = Assert.Throws<FormatException>(() => HoconDuration.Parse(text));
        Assert.Contains("500ms", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Infinite_duration_is_the_infinite_timespan() =>
        Assert.Equal(Timeout.InfiniteTimeSpan, HoconDuration.Parse("infinite"));

    [Theory]
    [InlineData("64KiB", 65_536)]
    [InlineData("64 KiB", 65_536)]
    [InlineData("64K", 65_536)]
    [InlineData("64k", 65_536)]
    [InlineData("10MB", 10_000_000)]
    [InlineData("10 megabytes", 10_000_000)]
    [InlineData("10MiB", 10_485_760)]
    [InlineData("1G", 1_073_741_824)]
    [InlineData("1GB", 1_000_000_000)]
    [InlineData("2 TiB", 2_199_023_255_552)]
    [InlineData("512", 512)]
    [InlineData("512B", 512)]
    [InlineData("512 bytes", 512)]
    [InlineData("1.5KiB", 1_536)]
    [InlineData("1kB", 1_000)]
    public void Sizes_parse_binary_and_decimal_units_and_plain_numbers_are_bytes(string text, long bytes) =>
        Assert.Equal(new ByteSize(bytes), ByteSize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("KiB")]
    [InlineData("10 XB")]
    [InlineData("99999999999E")]
    public void Bad_sizes_are_rejected(string text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
        Assert.Throws<FormatException>(() => ByteSize.Parse(text));
    }

    [Fact]
    public void Size_to_string_parses_back() =>
        Prop.ForAll<long>(n => ByteSize.Parse(new ByteSize(n).ToString()) == new ByteSize(n)).QuickCheckThrowOnFailure();

    [Fact]
    public void Whole_millisecond_durations_parse_back_from_ms_text() =>
        Prop.ForAll<int>(n => HoconDuration.Parse($"{n}ms") == TimeSpan.FromMilliseconds(n)).QuickCheckThrowOnFailure();

    [Fact]
    public void Getters_read_durations_and_sizes_from_the_tree()
    {
        var c = Hocon.Parse("t = 500ms\ns = 64KiB\nn = 100");
        Assert.Equal(TimeSpan.FromMilliseconds(500), c.GetDuration("t"));
        Assert.Equal(65_536, c.GetSize("s").Bytes);
        Assert.Equal(TimeSpan.FromMilliseconds(100), c.GetDuration("n"));
        Assert.Throws<HoconException>(() => c.GetDuration("s"));
    }
}
