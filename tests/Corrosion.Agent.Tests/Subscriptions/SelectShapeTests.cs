using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class SelectShapeTests
{
    [Fact]
    public void Finds_the_from_items_and_which_side_of_an_outer_join_may_be_null()
    {
        var shape = SelectShape.Parse("SELECT * FROM a AS x JOIN main.\"b\" y ON y.id = x.id LEFT OUTER JOIN [c] USING (id), d");

        Assert.Null(shape.Unsupported);
        Assert.Equal(["a", "b", "c", "d"], shape.From.Select(f => f.Name));
        Assert.Equal([false, false, true, false], shape.From.Select(f => f.NullSupplying));
    }

    [Fact]
    public void A_right_join_makes_everything_before_it_nullable()
    {
        var shape = SelectShape.Parse("SELECT * FROM a JOIN b ON 1 RIGHT JOIN c ON 1");

        Assert.Equal([true, true, false], shape.From.Select(f => f.NullSupplying));
    }

    [Fact]
    public void Keywords_in_strings_comments_and_quoted_names_are_not_clauses()
    {
        var shape = SelectShape.Parse("SELECT 'LIMIT 1', \"order\" -- GROUP BY x\nFROM t /* UNION */ WHERE x = 'FROM u';  -- done");

        Assert.Null(shape.Unsupported);
        Assert.False(shape.Limit);
        Assert.False(shape.GroupBy);
        Assert.Equal(["t"], shape.From.Select(f => f.Name));
        Assert.EndsWith("'FROM u'", shape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_inside_subqueries_are_collected()
    {
        var shape = SelectShape.Parse("SELECT id FROM t WHERE team IN (SELECT name FROM teams WHERE region = (SELECT r FROM regions))");

        Assert.True(shape.NamedInSubquery("TEAMS"));
        Assert.True(shape.NamedInSubquery("regions"));
        Assert.False(shape.NamedInSubquery("t"));
    }

    [Fact]
    public void Aggregates_are_found_outside_subqueries_only()
    {
        Assert.True(SelectShape.Parse("SELECT coalesce(sum(x), 0) FROM t").Aggregate);
        Assert.False(SelectShape.Parse("SELECT x, (SELECT count(*) FROM u) FROM t").Aggregate);
        Assert.False(SelectShape.Parse("SELECT max(a, b) FROM t").Aggregate);
        Assert.True(SelectShape.Parse("SELECT max(a) FROM t").Aggregate);
        Assert.True(SelectShape.Parse("SELECT row_number() OVER (ORDER BY x) FROM t").Window);
    }

    [Fact]
    public void The_limit_clause_can_be_cut_off()
    {
        var shape = SelectShape.Parse("SELECT x FROM t ORDER BY x LIMIT (SELECT 2) ;");

        Assert.True(shape.Limit);
        Assert.False(shape.Offset);
        Assert.Equal("SELECT x FROM t ORDER BY x", shape.TextWithoutLimit);
        Assert.True(SelectShape.Parse("SELECT x FROM t LIMIT 2, 3").Offset);
        Assert.True(SelectShape.Parse("SELECT x FROM t LIMIT 2 OFFSET 3").Offset);
    }

    [Fact]
    public void Group_by_terms_are_matched_to_result_columns_by_expression_or_position()
    {
        var shape = SelectShape.Parse("SELECT t.a AS k, b, count(*) FROM t GROUP BY T.A, 2");

        Assert.True(shape.IsGroupingColumn(0));
        Assert.True(shape.IsGroupingColumn(1));
        Assert.False(shape.IsGroupingColumn(2));
    }

    [Theory]
    [InlineData("WITH x AS (SELECT 1) SELECT * FROM x", "WITH")]
    [InlineData("SELECT a FROM t UNION SELECT a FROM u", "compound")]
    [InlineData("SELECT 'open FROM t", "unterminated")]
    [InlineData("SELECT (a FROM t", "parentheses")]
    [InlineData("VALUES (1)", "SELECT")]
    public void What_it_does_not_analyse_is_named(string sql, string reason)
    {
        Assert.Contains(reason, SelectShape.Parse(sql).Unsupported, StringComparison.Ordinal);
    }
}
