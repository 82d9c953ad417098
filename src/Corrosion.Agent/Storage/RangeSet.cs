namespace Corrosion.Agent.Storage;

/// <summary>
/// A set of integers kept as sorted, disjoint, non-adjacent inclusive ranges (version or seq
/// bookkeeping, range-compressed).
/// </summary>
internal sealed class RangeSet
{
    private readonly List<(long Start, long End)> _ranges = new();

    public IReadOnlyList<(long Start, long End)> Ranges => _ranges;

    public bool IsEmpty => _ranges.Count == 0;

    public long Max => _ranges.Count == 0 ? 0 : _ranges[^1].End;

    public bool Contains(long value)
    {
        var i = IndexAtOrBefore(value);
        return i >= 0 && _ranges[i].End >= value;
    }

    /// <summary>True when the whole of start..end is in the set.</summary>
    public bool Covers(long start, long end)
    {
        var i = IndexAtOrBefore(start);
        return i >= 0 && _ranges[i].End >= end;
    }

    // Index of the last range whose start is at or before value, or -1.
    private int IndexAtOrBefore(long value)
    {
        int lo = 0, hi = _ranges.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (_ranges[mid].Start <= value)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    /// <summary>Adds start..end; returns the ranges removed (merged away) and the merged range now stored.</summary>
    public (List<(long Start, long End)> Removed, (long Start, long End) Merged) Add(long start, long end)
    {
        var removed = new List<(long, long)>();
        var i = IndexAtOrBefore(start);
        if (i < 0 || _ranges[i].End < start - 1)
        {
            i++;
        }

        var mergedStart = start;
        var mergedEnd = end;
        while (i < _ranges.Count && _ranges[i].Start <= end + 1)
        {
            var r = _ranges[i];
            removed.Add(r);
            mergedStart = Math.Min(mergedStart, r.Start);
            mergedEnd = Math.Max(mergedEnd, r.End);
            _ranges.RemoveAt(i);
        }

        _ranges.Insert(i, (mergedStart, mergedEnd));
        return (removed, (mergedStart, mergedEnd));
    }

    /// <summary>
    /// Adds start..end like <see cref="Add"/> without reporting what merged: no allocation when it extends the last range
    /// (each new local version does).
    /// </summary>
    public void Include(long start, long end)
    {
        if (_ranges.Count > 0 && _ranges[^1] is var last && start >= last.Start && start <= last.End + 1)
        {
            _ranges[^1] = (last.Start, Math.Max(last.End, end));
            return;
        }

        _ = Add(start, end);
    }

    /// <summary>The parts of start..end not in the set, in order.</summary>
    public List<(long Start, long End)> Missing(long start, long end)
    {
        var gaps = new List<(long, long)>();
        var cursor = start;
        foreach (var r in _ranges)
        {
            if (r.End < cursor)
            {
                continue;
            }

            if (r.Start > end)
            {
                break;
            }

            if (r.Start > cursor)
            {
                gaps.Add((cursor, r.Start - 1));
            }

            cursor = r.End + 1;
            if (cursor > end)
            {
                break;
            }
        }

        if (cursor <= end)
        {
            gaps.Add((cursor, end));
        }

        return gaps;
    }
}
