namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// A set of integers held as sorted, disjoint, non-adjacent inclusive ranges. Used for version and
/// seq arithmetic (gaps, heads, what a peer has); small, allocation-light, not thread-safe.
/// </summary>
internal sealed class RangeSet
{
    private readonly List<(long Start, long End)> _ranges = [];

    public RangeSet()
    {
    }

    public RangeSet(IEnumerable<(long Start, long End)> ranges)
    {
        foreach (var (start, end) in ranges)
        {
            Add(start, end);
        }
    }

    public IReadOnlyList<(long Start, long End)> Ranges => _ranges;

    public bool IsEmpty => _ranges.Count == 0;

    /// <summary>How many integers the set holds.</summary>
    public long Count
    {
        get
        {
            long total = 0;
            foreach (var (start, end) in _ranges)
            {
                total += end - start + 1;
            }

            return total;
        }
    }

    public bool Contains(long value)
    {
        var i = IndexOfFirstEndingAtOrAfter(value);
        return i < _ranges.Count && _ranges[i].Start <= value;
    }

    /// <summary>True when every integer of <c>start..end</c> is in the set.</summary>
    public bool ContainsAll(long start, long end)
    {
        var i = IndexOfFirstEndingAtOrAfter(start);
        return i < _ranges.Count && _ranges[i].Start <= start && _ranges[i].End >= end;
    }

    public void Add(long start, long end)
    {
        if (start > end)
        {
            return;
        }

        // Merge with every range that overlaps or touches start..end.
        var i = IndexOfFirstEndingAtOrAfter(start == long.MinValue ? start : start - 1);
        var j = i;
        while (j < _ranges.Count && (end == long.MaxValue || _ranges[j].Start <= end + 1))
        {
            start = Math.Min(start, _ranges[j].Start);
            end = Math.Max(end, _ranges[j].End);
            j++;
        }

        _ranges.RemoveRange(i, j - i);
        _ranges.Insert(i, (start, end));
    }

    public void Remove(long start, long end)
    {
        if (start > end)
        {
            return;
        }

        var i = IndexOfFirstEndingAtOrAfter(start);
        while (i < _ranges.Count && _ranges[i].Start <= end)
        {
            var (s, e) = _ranges[i];
            _ranges.RemoveAt(i);
            if (e > end)
            {
                _ranges.Insert(i, (end + 1, e));
            }

            if (s < start)
            {
                _ranges.Insert(i, (s, start - 1));
                i++;
            }
        }
    }

    public void UnionWith(RangeSet other)
    {
        foreach (var (start, end) in other._ranges)
        {
            Add(start, end);
        }
    }

    public void ExceptWith(RangeSet other)
    {
        foreach (var (start, end) in other._ranges)
        {
            Remove(start, end);
        }
    }

    /// <summary>A new set holding what both sets hold.</summary>
    public RangeSet Intersect(RangeSet other)
    {
        var result = new RangeSet();
        int i = 0, j = 0;
        while (i < _ranges.Count && j < other._ranges.Count)
        {
            var start = Math.Max(_ranges[i].Start, other._ranges[j].Start);
            var end = Math.Min(_ranges[i].End, other._ranges[j].End);
            if (start <= end)
            {
                result._ranges.Add((start, end));
            }

            if (_ranges[i].End < other._ranges[j].End)
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return result;
    }

    private int IndexOfFirstEndingAtOrAfter(long value)
    {
        int lo = 0, hi = _ranges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_ranges[mid].End < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
