using Corrosion.Chaos.Checking;
using Corrosion.Chaos.Cluster;
using Corrosion.Chaos.Tests.Support;
using Corrosion.Chaos.Workload;

namespace Corrosion.Chaos.Tests;

/// <summary>The checker finds each kind of anomaly it claims to, and nothing in a clean history.</summary>
public sealed class ChaosCheckerTests
{
    [Fact]
    public void A_history_applied_everywhere_passes()
    {
        var s = new Scenario();
        var writes = new[] { s.Unique("u1", CellValue.Integer(7)), s.Unique("u2", CellValue.Real(7)), s.Transaction("t1"), s.Shared(3, CellValue.BlobOf("x"), "c1-1") };

        var result = s.Check(Scenario.Snapshot(0, writes), Scenario.Snapshot(1, writes));

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(4, result.Acknowledged);
        Assert.Equal(0, result.Lost);
    }

    [Fact]
    public void An_acknowledged_insert_missing_on_one_node_is_a_lost_write_and_a_divergence()
    {
        var s = new Scenario();
        var kept = s.Unique("u1", CellValue.OfText("a"));
        var lost = s.Unique("u2", CellValue.OfText("b"));

        var result = s.Check(Scenario.Snapshot(0, kept, lost), Scenario.Snapshot(1, kept));

        Assert.Equal(1, result.Lost);
        Assert.Contains(lost.Id, result.LostWrites.Keys);
        Assert.Equal(1, result.CountOf(AnomalyKind.LostWrite));
        Assert.Equal(1, result.CountOf(AnomalyKind.Divergence));
        Assert.Contains("node 1 lacks uniq row 'u2'", result.ExamplesOf(AnomalyKind.LostWrite)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void An_acknowledged_transaction_missing_everywhere_is_lost()
    {
        var s = new Scenario();
        s.Transaction("t1");

        var result = s.Check(Scenario.Snapshot(0), Scenario.Snapshot(1));

        Assert.Equal(1, result.Lost);
        Assert.Equal(2, result.CountOf(AnomalyKind.LostWrite));
    }

    [Fact]
    public void A_transaction_with_some_of_its_parts_is_torn()
    {
        var s = new Scenario();
        s.Transaction("t1");
        var partial = s.Transaction("t1-partial", Outcome.Unknown, parts: 2);
        var snapshot = Scenario.Snapshot(0, s.History.Writes.ToArray());

        var result = s.Check(snapshot);

        Assert.Equal(1, result.CountOf(AnomalyKind.TornTransaction));
        Assert.Contains($"write #{partial.Id}", result.ExamplesOf(AnomalyKind.TornTransaction)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_no_client_wrote_is_a_phantom()
    {
        var s = new Scenario();
        var stranger = new Scenario().Unique("nobody", CellValue.Integer(1));

        var result = s.Check(Scenario.Snapshot(0, stranger));

        Assert.Equal(1, result.CountOf(AnomalyKind.Phantom));
    }

    [Fact]
    public void A_shared_value_only_a_failed_write_carried_is_a_phantom()
    {
        var s = new Scenario();
        s.Shared(1, CellValue.Integer(2), "c1-1");
        var failed = s.Shared(1, CellValue.Integer(3), "c2-1", Outcome.Failed);

        var result = s.Check(Scenario.Snapshot(0, failed));

        Assert.Equal(1, result.CountOf(AnomalyKind.Phantom));
    }

    [Fact]
    public void A_write_that_certainly_failed_must_not_be_visible()
    {
        var s = new Scenario();
        var failed = s.Unique("u1", CellValue.Integer(1), Outcome.Failed);

        var result = s.Check(Scenario.Snapshot(0, failed));

        Assert.Equal(1, result.CountOf(AnomalyKind.FailedWriteVisible));
    }

    [Fact]
    public void Writes_without_an_answer_may_be_present_or_absent()
    {
        var s = new Scenario();
        var present = s.Unique("u1", CellValue.Integer(1), Outcome.Unknown);
        s.Unique("u2", CellValue.Integer(2), Outcome.Unknown);
        var tx = s.Transaction("t1", Outcome.Unknown);

        var result = s.Check(Scenario.Snapshot(0, present, tx), Scenario.Snapshot(1, present, tx));

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(2 + 1, result.Unknown);
    }

    [Fact]
    public void Storage_classes_count_integer_7_is_not_real_7()
    {
        var s = new Scenario();
        s.Unique("u1", CellValue.Real(7));
        var asInteger = new Scenario().Unique("u1", CellValue.Integer(7));

        var result = s.Check(Scenario.Snapshot(0, asInteger));

        Assert.Equal(1, result.CountOf(AnomalyKind.WrongValue));
        Assert.Contains("real", result.ExamplesOf(AnomalyKind.WrongValue)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Nodes_with_equal_tables_but_different_clocks_diverge_in_clocks_only()
    {
        var s = new Scenario();
        var write = s.Unique("u1", CellValue.Integer(1));
        var a = Scenario.Snapshot(0, write);
        var b = Scenario.Snapshot(1, write);
        var clock = b.Clocks[ChaosSchema.Unique.Name];
        var key = clock.Keys.Single();
        clock[key] = ["1", "1", "FFEEDDCCBBAA99887766554433221100", "0"];

        var result = s.Check(a, b);

        Assert.Equal(1, result.CountOf(AnomalyKind.ClockDivergence));
        Assert.Equal(0, result.CountOf(AnomalyKind.Divergence));
        Assert.Equal(0, result.Lost);
    }

    [Fact]
    public void A_node_not_showing_its_own_acknowledged_write_is_a_stale_read()
    {
        var s = new Scenario();
        var write = s.Unique("u1", CellValue.Integer(1));
        s.History.Read(new ReadOwnWrite(0, 2, DateTime.UtcNow, write.Id, "u1", null, Found: false));

        var result = s.Check(Scenario.Snapshot(0, write));

        Assert.Equal(1, result.CountOf(AnomalyKind.StaleRead));
        Assert.Equal(1, result.Reads);
    }

    [Fact]
    public void A_read_that_saw_part_of_a_transaction_is_a_torn_read()
    {
        var s = new Scenario();
        var tx = s.Transaction("t1");
        s.History.Read(new ReadTornProbe(0, 1, DateTime.UtcNow, [("t1", 2)]));

        var result = s.Check(Scenario.Snapshot(0, tx));

        Assert.Equal(1, result.CountOf(AnomalyKind.TornRead));
    }

    [Fact]
    public void A_read_of_a_shared_row_at_its_defaults_is_reported_but_does_not_fail_the_run()
    {
        var s = new Scenario();
        var write = s.Shared(5, CellValue.Integer(1), "c1-1");
        s.History.Read(new ReadShared(0, 2, DateTime.UtcNow, 5, CellValue.Null, null));
        s.History.Read(new ReadShared(0, 2, DateTime.UtcNow, 5, CellValue.Integer(1), null));

        var result = s.Check(Scenario.Snapshot(0, write));

        Assert.Equal(2, result.CountOf(AnomalyKind.DefaultValueRead));
        Assert.True(result.Passed, result.ToString());
        Assert.Contains("OBSERVATION", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_of_a_shared_value_or_writer_nobody_wrote_is_a_phantom()
    {
        var s = new Scenario();
        var write = s.Shared(5, CellValue.Integer(1), "c1-1");
        s.History.Read(new ReadShared(0, 2, DateTime.UtcNow, 5, CellValue.Integer(9), "c1-1"));
        s.History.Read(new ReadShared(0, 2, DateTime.UtcNow, 5, CellValue.Null, "nobody"));

        var result = s.Check(Scenario.Snapshot(0, write));

        Assert.Equal(2, result.CountOf(AnomalyKind.Phantom));
        Assert.False(result.Passed);
    }

    [Fact]
    public void A_shared_row_left_at_its_defaults_in_the_final_state_is_a_phantom()
    {
        var s = new Scenario();
        s.Shared(5, CellValue.Integer(1), "c1-1");
        var snapshot = Scenario.Snapshot(0);
        snapshot.Tables[ChaosSchema.Shared.Name]["5"] = [CellValue.Null.ToSnapshotCell(), CellValue.Null.ToSnapshotCell()];

        var result = s.Check(snapshot);

        Assert.Equal(1, result.CountOf(AnomalyKind.Phantom));
    }

    [Fact]
    public void An_exit_the_nemesis_did_not_cause_is_a_crash()
    {
        var s = new Scenario();
        s.Crashes.Add(new NodeCrash(3, 134, DateTime.UtcNow, "Unhandled exception"));

        var result = s.Check(Scenario.Snapshot(0));

        Assert.Equal(1, result.CountOf(AnomalyKind.Crash));
        Assert.False(result.Passed);
    }
}
