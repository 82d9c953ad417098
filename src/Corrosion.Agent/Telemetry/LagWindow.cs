namespace Corrosion.Agent.Telemetry;

/// <summary>
/// Replication lags of the changes applied recently (a ring of the last samples, each with the time
/// it was taken), for <c>/v1/health</c>'s <c>p99_lag</c>. Thread-safe.
/// </summary>
public sealed class LagWindow
{
    private readonly (long At, double Lag)[] _samples;
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private int _next;
    private int _count;

    /// <summary>Creates an empty window.</summary>
    /// <param name="window">How far back <see cref="P99"/> looks.</param>
    /// <param name="time">The clock.</param>
    /// <param name="capacity">Samples kept at most (the newest).</param>
    public LagWindow(TimeSpan window, TimeProvider time, int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _samples = new (long, double)[capacity];
        _window = window;
        _time = time;
    }

    /// <summary>Records one lag, seconds.</summary>
    public void Add(double seconds)
    {
        lock (_samples)
        {
            _samples[_next] = (_time.GetTimestamp(), Math.Max(0, seconds));
            _next = (_next + 1) % _samples.Length;
            _count = Math.Min(_count + 1, _samples.Length);
        }
    }

    /// <summary>The 99th percentile (nearest rank) of the lags recorded within the window; 0 when none.</summary>
    public double P99()
    {
        List<double> recent;
        lock (_samples)
        {
            recent = new List<double>(_count);
            for (var i = 0; i < _count; i++)
            {
                var (at, lag) = _samples[i];
                if (_time.GetElapsedTime(at) <= _window)
                {
                    recent.Add(lag);
                }
            }
        }

        if (recent.Count == 0)
        {
            return 0;
        }

        recent.Sort();
        var rank = (int)Math.Ceiling(0.99 * recent.Count) - 1;
        return recent[Math.Clamp(rank, 0, recent.Count - 1)];
    }
}
