using FsCheck;
using FsCheck.Fluent;
using StorageRangeSet = Corrosion.Agent.Storage.RangeSet;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>The version bookkeeping's range set: Include (a local version's, without allocation) is Add.</summary>
public sealed class RangeSetIncludeTests
{
    [Fact]
    public void Include_leaves_the_same_ranges_as_add()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), seed =>
        {
            var r = new Random(seed);
            var (added, included) = (new StorageRangeSet(), new StorageRangeSet());
            for (var step = 0; step < 40; step++)
            {
                // Mostly the next version or two (a local writer's), sometimes anywhere.
                var start = r.Next(4) == 0 ? r.Next(0, 60) : added.Max + r.Next(0, 3);
                var end = start + r.Next(0, 4);
                added.Add(start, end);
                included.Include(start, end);
                if (!added.Ranges.SequenceEqual(included.Ranges))
                {
                    throw new InvalidOperationException($"seed {seed}, step {step} ({start}..{end}): {string.Join(",", added.Ranges)} vs {string.Join(",", included.Ranges)}");
                }
            }
        }).QuickCheckThrowOnFailure();
    }
}
