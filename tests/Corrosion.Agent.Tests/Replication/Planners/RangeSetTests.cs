using Corrosion.Agent.Replication.Sync;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Agent.Tests.Replication.Planners;

public sealed class RangeSetTests
{
    private static HashSet<long> Expand(RangeSet set) =>
        set.Ranges.SelectMany(r => Enumerable.Range((int)r.Start, (int)(r.End - r.Start + 1)).Select(v => (long)v)).ToHashSet();

    private static string? Normalised(RangeSet set)
    {
        for (var i = 0; i < set.Ranges.Count; i++)
        {
            if (set.Ranges[i].Start > set.Ranges[i].End)
            {
                return $"empty range {set.Ranges[i]}";
            }

            if (i > 0 && set.Ranges[i - 1].End + 1 >= set.Ranges[i].Start)
            {
                return $"ranges {set.Ranges[i - 1]} and {set.Ranges[i]} overlap or touch";
            }
        }

        return null;
    }

    [Fact]
    public void Adds_removes_and_intersections_match_a_plain_set_and_stay_normalised()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), seed =>
        {
            var r = new Random(seed);
            var set = new RangeSet();
            var other = new RangeSet();
            var model = new HashSet<long>();
            var otherModel = new HashSet<long>();
            for (var step = 0; step < 60; step++)
            {
                var start = r.Next(0, 50);
                var end = start + r.Next(-2, 8); // sometimes empty (end < start)
                var values = Enumerable.Range(start, Math.Max(0, end - start + 1)).Select(v => (long)v);
                switch (r.Next(3))
                {
                    case 0:
                        set.Add(start, end);
                        model.UnionWith(values);
                        break;
                    case 1:
                        set.Remove(start, end);
                        model.ExceptWith(values);
                        break;
                    default:
                        other.Add(start, end);
                        otherModel.UnionWith(values);
                        break;
                }

                var error = Normalised(set) ?? Normalised(other);
                if (error is null && !Expand(set).SetEquals(model))
                {
                    error = "contents differ from the model";
                }

                var both = set.Intersect(other);
                if (error is null && (Normalised(both) is not null || !Expand(both).SetEquals(model.Intersect(otherModel))))
                {
                    error = "intersection differs from the model";
                }

                if (error is null && (set.Count != model.Count || set.Contains(start) != model.Contains(start)))
                {
                    error = "count or membership differs from the model";
                }

                if (error is not null)
                {
                    throw new InvalidOperationException($"seed {seed}, step {step}: {error}");
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Touching_ranges_are_joined()
    {
        var set = new RangeSet([(1, 3), (7, 9)]);

        set.Add(4, 6);

        Assert.Equal([(1L, 9L)], set.Ranges);
    }

    [Fact]
    public void Removing_the_middle_splits_a_range()
    {
        var set = new RangeSet([(1, 10)]);

        set.Remove(4, 6);

        Assert.Equal([(1L, 3L), (7L, 10L)], set.Ranges);
        Assert.True(set.ContainsAll(7, 10));
        Assert.False(set.ContainsAll(3, 7));
    }
}
