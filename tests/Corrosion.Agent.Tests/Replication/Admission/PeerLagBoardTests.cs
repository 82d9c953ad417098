using Corrosion.Agent.Replication.Admission;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Replication.Admission;

public sealed class PeerLagBoardTests
{
    private static readonly ActorId PeerA = ActorId.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly ActorId PeerB = ActorId.Parse("00000000-0000-0000-0000-00000000000b");

    private static PeerLagBoard Committed(params long[] changesPerVersion)
    {
        var board = new PeerLagBoard();
        for (var i = 0; i < changesPerVersion.Length; i++)
        {
            board.Committed(i + 1, changesPerVersion[i]);
        }

        return board;
    }

    [Fact]
    public void A_peer_trails_by_the_changes_committed_after_the_version_it_applied()
    {
        var board = Committed(10, 20, 30, 40);

        Assert.Equal(70, board.ChangesAfter(2));
        Assert.Equal(100, board.ChangesAfter(0));
        Assert.Equal(0, board.ChangesAfter(4));
        Assert.Equal(0, board.ChangesAfter(9));
    }

    [Fact]
    public void The_furthest_live_and_recent_reporter_counts()
    {
        var board = Committed(10, 20, 30, 40);
        board.Reported(PeerA, 3, nowMs: 1_000);
        board.Reported(PeerB, 1, nowMs: 1_000);

        Assert.Equal((PeerB, 90L), board.Furthest(_ => true, nowMs: 1_500, maxAgeMs: 1_000));
        // B is not alive in membership (down, suspect or unknown): only A counts.
        Assert.Equal((PeerA, 40L), board.Furthest(p => p == PeerA, nowMs: 1_500, maxAgeMs: 1_000));
    }

    [Fact]
    public void A_report_older_than_the_max_age_does_not_count()
    {
        var board = Committed(10, 20);
        board.Reported(PeerA, 0, nowMs: 0);

        Assert.Equal((PeerA, 30L), board.Furthest(_ => true, nowMs: 1_000, maxAgeMs: 1_000));
        Assert.Equal(((ActorId?)null, 0L), board.Furthest(_ => true, nowMs: 1_001, maxAgeMs: 1_000));
    }

    [Fact]
    public void A_forgotten_peer_and_one_that_never_reported_do_not_count()
    {
        var board = Committed(10, 20);
        board.Reported(PeerA, 0, nowMs: 0);
        board.Forget(PeerA);

        Assert.Equal(((ActorId?)null, 0L), board.Furthest(_ => true, nowMs: 0, maxAgeMs: 1_000));
    }

    [Fact]
    public void A_late_older_report_does_not_move_a_peer_back()
    {
        var board = Committed(10, 20, 30);
        board.Reported(PeerA, 3, nowMs: 0);
        board.Reported(PeerA, 1, nowMs: 10);

        Assert.Equal((PeerA, 0L), board.Furthest(_ => true, nowMs: 10, maxAgeMs: 1_000));
    }

    [Fact]
    public void A_version_older_than_the_remembered_commits_counts_every_change_after_the_forgotten_ones()
    {
        var board = new PeerLagBoard(history: 2);
        for (var v = 1; v <= 5; v++)
        {
            board.Committed(v, 10);
        }

        // Versions 4 and 5 are remembered; 1..3 are forgotten, so version 1 applied counts as 3 applied.
        Assert.Equal(20, board.ChangesAfter(1));
        Assert.Equal(10, board.ChangesAfter(4));
        Assert.Equal(5, board.Head);
    }
}
