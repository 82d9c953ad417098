using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class MaterializedResultTests
{
    private static readonly int[] FirstColumn = [0];

    private static SqlValue[] Row(params object?[] cells) => cells.Select(SqlValue.FromObject).ToArray();

    [Fact]
    public void First_evaluation_numbers_rows_from_one_without_changes()
    {
        var result = new MaterializedResult();

        var delta = result.Apply([Row(1, "a"), Row(2, "b")], FirstColumn, numberChanges: false);

        Assert.Empty(delta.Changes);
        Assert.Equal([1L, 2L], result.Rows.Select(r => r.RowId));
        Assert.Equal(0, result.LastChangeId);
    }

    [Fact]
    public void New_key_is_an_insert_with_a_fresh_row_id()
    {
        var result = new MaterializedResult();
        result.Apply([Row(1, "a")], FirstColumn, numberChanges: false);

        var delta = result.Apply([Row(1, "a"), Row(2, "b")], FirstColumn);

        var change = Assert.Single(delta.Changes);
        Assert.Equal(new SubscriptionChange(ChangeKind.Insert, 2, Row(2, "b"), 1).ToString(), change.ToString());
        Assert.Equal(Row(2, "b"), change.Cells);
    }

    [Fact]
    public void Changed_cells_under_the_same_key_are_an_update_keeping_the_row_id()
    {
        var result = new MaterializedResult();
        result.Apply([Row(1, "a"), Row(2, "b")], FirstColumn, numberChanges: false);

        var delta = result.Apply([Row(1, "a"), Row(2, "B")], FirstColumn);
        var again = result.Apply([Row(1, "a"), Row(2, "BB")], FirstColumn);

        var change = Assert.Single(delta.Changes);
        Assert.Equal((ChangeKind.Update, 2L, 1L), (change.Kind, change.RowId, change.ChangeId));
        Assert.Equal(Row(2, "B"), change.Cells);
        var second = Assert.Single(again.Changes);
        Assert.Equal((ChangeKind.Update, 2L, 2L), (second.Kind, second.RowId, second.ChangeId));
    }

    [Fact]
    public void Rows_updated_in_place_keep_their_key_and_are_not_entered_again()
    {
        // The live-query index keeps a row's key when it enters; an in-place update (result-only
        // columns, never the key) leaves that key as it is, so the index is not told again.
        var result = new MaterializedResult();
        result.Apply([Row(1, "a"), Row(2, "b")], FirstColumn, numberChanges: false);
        var entered = new List<long>();
        result.RowEntered = row => entered.Add(row.RowId);
        var identity = result.Rows[1].Key;

        var delta = result.UpdateCells([(identity, Row(2, "B"))], ordered: false);
        result.Apply([Row(1, "a"), Row(2, "B"), Row(3, "c")], FirstColumn);

        var change = Assert.Single(delta.Changes);
        Assert.Equal((ChangeKind.Update, 2L, 1L), (change.Kind, change.RowId, change.ChangeId));
        Assert.Equal(Row(2, "B"), result.Rows[1].Cells);
        Assert.Equal([3L], entered);
    }

    [Fact]
    public void Vanished_key_is_a_delete_carrying_the_old_cells()
    {
        var result = new MaterializedResult();
        result.Apply([Row(1, "a"), Row(2, "b")], FirstColumn, numberChanges: false);

        var delta = result.Apply([Row(2, "b")], FirstColumn);

        var change = Assert.Single(delta.Changes);
        Assert.Equal((ChangeKind.Delete, 1L), (change.Kind, change.RowId));
        Assert.Equal(Row(1, "a"), change.Cells);
        Assert.Equal([1L], delta.Deleted);
    }

    [Fact]
    public void Unchanged_result_gives_no_change_and_keeps_the_change_id()
    {
        var result = new MaterializedResult();
        result.Apply([Row(1, "a")], FirstColumn, numberChanges: false);

        var delta = result.Apply([Row(1, "a")], FirstColumn);

        Assert.True(delta.IsEmpty);
        Assert.Equal(0, result.LastChangeId);
    }

    [Fact]
    public void A_reinserted_key_gets_a_new_row_id_and_ids_are_never_reused()
    {
        var result = new MaterializedResult();
        result.Apply([Row(1, "a")], FirstColumn, numberChanges: false);
        result.Apply([], FirstColumn);

        var delta = result.Apply([Row(1, "a")], FirstColumn);

        Assert.Equal((ChangeKind.Insert, 2L, 2L), (delta.Changes[0].Kind, delta.Changes[0].RowId, delta.Changes[0].ChangeId));
    }

    [Fact]
    public void Deletes_come_before_inserts_and_change_ids_increase_by_one()
    {
        var result = new MaterializedResult();
        result.Apply([Row(1, "a"), Row(2, "b")], FirstColumn, numberChanges: false);

        var delta = result.Apply([Row(3, "c"), Row(2, "x")], FirstColumn);

        Assert.Equal([ChangeKind.Delete, ChangeKind.Insert, ChangeKind.Update], delta.Changes.Select(c => c.Kind));
        Assert.Equal([1L, 2L, 3L], delta.Changes.Select(c => c.ChangeId));
    }

    [Fact]
    public void Duplicate_keys_are_told_apart_by_occurrence()
    {
        // Key column 0 only: two rows share key 1.
        var result = new MaterializedResult();
        result.Apply([Row(1, "a"), Row(1, "b")], FirstColumn, numberChanges: false);

        var delta = result.Apply([Row(1, "a")], FirstColumn);

        var change = Assert.Single(delta.Changes);
        Assert.Equal((ChangeKind.Delete, 2L), (change.Kind, change.RowId));
    }

    [Fact]
    public void An_empty_key_makes_a_single_row_whose_value_updates()
    {
        var result = new MaterializedResult();
        result.Apply([Row(3)], [], numberChanges: false);

        var delta = result.Apply([Row(4)], []);

        var change = Assert.Single(delta.Changes);
        Assert.Equal((ChangeKind.Update, 1L), (change.Kind, change.RowId));
    }

    [Fact]
    public void An_integer_turning_into_a_real_is_an_update()
    {
        var result = new MaterializedResult();
        result.Apply([Row(1, 2L)], FirstColumn, numberChanges: false);

        var delta = result.Apply([Row(1, 2.0)], FirstColumn);

        Assert.Equal(ChangeKind.Update, Assert.Single(delta.Changes).Kind);
    }

    [Fact]
    public void Restored_rows_continue_their_counters()
    {
        var first = new MaterializedResult();
        first.Apply([Row(1, "a")], FirstColumn, numberChanges: false);
        first.Apply([Row(1, "a"), Row(2, "b")], FirstColumn);

        var restored = new MaterializedResult(first.LastChangeId, first.LastRowId, first.Rows);
        var delta = restored.Apply([Row(1, "a"), Row(2, "b"), Row(3, "c")], FirstColumn);

        var change = Assert.Single(delta.Changes);
        Assert.Equal((ChangeKind.Insert, 3L, 2L), (change.Kind, change.RowId, change.ChangeId));
    }

    [Fact]
    public void Row_codec_round_trips_every_kind_and_many_columns()
    {
        var values = Enumerable.Range(0, 300).Select(i => (i % 5) switch
        {
            0 => SqlValue.Null,
            1 => SqlValue.FromInteger(long.MinValue + i),
            2 => SqlValue.FromReal(i / 3.0),
            3 => SqlValue.FromText("t€xt" + i),
            _ => SqlValue.FromBlob([(byte)i, 0, 255]),
        }).ToArray();

        Assert.Equal(values, RowCodec.Decode(RowCodec.Encode(values)));
    }
}
