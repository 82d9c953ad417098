using System.Collections.Immutable;
using System.Net;

namespace Corrosion.Chaos.Network;

/// <summary>
/// What one node's link to the bridge does to packets: peers it cannot reach (both directions are
/// dropped), the share of arriving packets dropped, and the share of leaving packets sent twice.
/// </summary>
/// <param name="Blocked">Addresses of peers this node is partitioned from.</param>
/// <param name="LossPercent">Packets arriving on the link dropped at random, 0–100 (UDP and TCP alike).</param>
/// <param name="DuplicatePercent">Packets leaving on the link sent twice, 0–100.</param>
public sealed record LinkFaults(ImmutableSortedSet<string> Blocked, int LossPercent, int DuplicatePercent)
{
    /// <summary>A clean link.</summary>
    public static LinkFaults None { get; } = new(ImmutableSortedSet<string>.Empty, 0, 0);

    /// <summary>This link with the given peers blocked.</summary>
    public LinkFaults BlockedFrom(IEnumerable<IPAddress> peers) => this with { Blocked = peers.Select(p => p.ToString()).ToImmutableSortedSet(StringComparer.Ordinal) };

    public bool Equals(LinkFaults? other) =>
        other is not null && LossPercent == other.LossPercent && DuplicatePercent == other.DuplicatePercent && Blocked.SequenceEqual(other.Blocked);

    public override int GetHashCode() => HashCode.Combine(LossPercent, DuplicatePercent, Blocked.Count);
}
