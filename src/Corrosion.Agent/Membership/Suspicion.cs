namespace Corrosion.Agent.Membership;

/// <summary>
/// Lifeguard's dynamic suspicion: the timeout starts at <see cref="MaxMs"/> and shrinks towards
/// <see cref="MinMs"/> as independent members confirm it, as
/// <c>max - (max - min) × log(c + 1) / log(k + 1)</c> for <c>c</c> confirmations of <c>k</c> expected.
/// </summary>
internal sealed class Suspicion(long startMs, long minMs, long maxMs, int expectedConfirmations, NodeAddress suspecter)
{
    private readonly HashSet<NodeAddress> _confirmers = [suspecter];

    public long StartMs { get; } = startMs;

    public long MinMs { get; } = minMs;

    public long MaxMs { get; } = maxMs;

    public int ExpectedConfirmations { get; } = expectedConfirmations;

    /// <summary>The first suspecter, carried on re-broadcasts.</summary>
    public NodeAddress Suspecter { get; } = suspecter;

    /// <summary>Confirmations beyond the first suspecter.</summary>
    public int Confirmations => _confirmers.Count - 1;

    /// <summary>Records an independent suspecter; false if already counted or not useful.</summary>
    public bool Confirm(NodeAddress from)
    {
        if (Confirmations >= ExpectedConfirmations || !from.IsSpecified)
        {
            return false;
        }

        return _confirmers.Add(from);
    }

    /// <summary>The current timeout measured from <see cref="StartMs"/>.</summary>
    public long TimeoutMs
    {
        get
        {
            if (ExpectedConfirmations <= 0 || MaxMs <= MinMs)
            {
                return MinMs;
            }

            var fraction = Math.Log(Confirmations + 1.0) / Math.Log(ExpectedConfirmations + 1.0);
            var timeout = MaxMs - (long)Math.Floor((MaxMs - MinMs) * fraction);
            return Math.Max(MinMs, timeout);
        }
    }

    public long DeadlineMs => StartMs + TimeoutMs;
}
