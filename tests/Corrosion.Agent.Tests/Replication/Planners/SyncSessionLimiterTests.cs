using Corrosion.Agent.Replication.Sync;

namespace Corrosion.Agent.Tests.Replication.Planners;

public sealed class SyncSessionLimiterTests
{
    [Fact]
    public void Outgoing_sessions_beyond_the_cap_are_refused_and_counted()
    {
        var limiter = new SyncSessionLimiter(maxOutgoing: 2, maxIncoming: 1);

        Assert.True(limiter.TryAcquireOutgoing());
        Assert.True(limiter.TryAcquireOutgoing());
        Assert.False(limiter.TryAcquireOutgoing());
        Assert.False(limiter.TryAcquireOutgoing());

        Assert.Equal(2, limiter.ActiveOutgoing);
        Assert.Equal(2, limiter.OutgoingRefused);
        Assert.Equal(0, limiter.IncomingRefused);
    }

    [Fact]
    public void Incoming_and_outgoing_caps_are_separate()
    {
        var limiter = new SyncSessionLimiter(maxOutgoing: 1, maxIncoming: 1);

        Assert.True(limiter.TryAcquireOutgoing());
        Assert.True(limiter.TryAcquireIncoming());
        Assert.False(limiter.TryAcquireIncoming());

        Assert.Equal(1, limiter.IncomingRefused);
        Assert.Equal(0, limiter.OutgoingRefused);
    }

    [Fact]
    public void Released_slot_can_be_taken_again()
    {
        var limiter = new SyncSessionLimiter(maxOutgoing: 1, maxIncoming: 1);
        Assert.True(limiter.TryAcquireIncoming());
        Assert.False(limiter.TryAcquireIncoming());

        limiter.ReleaseIncoming();

        Assert.True(limiter.TryAcquireIncoming());
        Assert.Equal(1, limiter.ActiveIncoming);
    }

    [Fact]
    public void Releasing_a_slot_not_held_fails_loudly()
    {
        var limiter = new SyncSessionLimiter(new SyncOptions());

        Assert.Throws<InvalidOperationException>(limiter.ReleaseOutgoing);
        Assert.Throws<InvalidOperationException>(limiter.ReleaseIncoming);
    }

    [Fact]
    public void Zero_incoming_refuses_every_incoming_session()
    {
        var limiter = new SyncSessionLimiter(maxOutgoing: 1, maxIncoming: 0);

        Assert.False(limiter.TryAcquireIncoming());
        Assert.Equal(1, limiter.IncomingRefused);
    }

    [Fact]
    public void Concurrent_callers_never_exceed_the_cap()
    {
        var limiter = new SyncSessionLimiter(maxOutgoing: 3, maxIncoming: 3);
        var peak = 0;
        var acquired = 0L;
        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            if (!limiter.TryAcquireOutgoing())
            {
                return;
            }

            Interlocked.Increment(ref acquired);
            var now = limiter.ActiveOutgoing;
            int seen;
            while ((seen = Volatile.Read(ref peak)) < now && Interlocked.CompareExchange(ref peak, now, seen) != seen)
            {
            }

            limiter.ReleaseOutgoing();
        });

        Assert.InRange(peak, 1, 3);
        Assert.Equal(0, limiter.ActiveOutgoing);
        Assert.Equal(20_000, acquired + limiter.OutgoingRefused);
    }
}
