using Corrosion.Actors.TestKit;

namespace Corrosion.Actors.Tests;

public sealed class TestProbeTests
{
    private abstract record Event;

    private sealed record Started(int N) : Event;

    private sealed record Stopped(int N) : Event;

    [Fact]
    public async Task ExpectMessage_of_a_type_returns_it_and_rejects_another_type()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<Event>();
        probe.Ref.Tell(new Started(1));
        probe.Ref.Tell(new Stopped(2));

        Assert.Equal(1, probe.ExpectMessage<Started>().N);
        Assert.Throws<TestProbeException>(() => probe.ExpectMessage<Started>());
    }

    [Fact]
    public async Task ExpectMessage_fails_after_its_timeout_when_nothing_arrives()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<Event>();

        var error = Assert.Throws<TestProbeException>(() => probe.ExpectMessage<Started>(TimeSpan.FromMilliseconds(20)));
        Assert.Contains(probe.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpectNoMessage_fails_when_a_message_arrives()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<Event>();
        probe.Ref.Tell(new Started(1));

        Assert.Throws<TestProbeException>(() => probe.ExpectNoMessage(TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public async Task FishForMessage_skips_until_a_match_and_fails_without_one()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<Event>();
        for (var i = 0; i < 5; i++)
        {
            probe.Ref.Tell(new Started(i));
        }

        Assert.Equal(new Started(3), probe.FishForMessage(e => e is Started { N: 3 }, Kit.Deadline));
        Assert.Equal(1, probe.PendingCount);
        Assert.Throws<TestProbeException>(() => probe.FishForMessage(e => e is Stopped, TimeSpan.FromMilliseconds(20)));
    }
}
