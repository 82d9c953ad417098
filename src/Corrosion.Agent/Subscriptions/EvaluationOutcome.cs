using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>What <see cref="LiveQueryEvaluator.Run"/> read, to be applied by <see cref="LiveQueryEvaluator.Complete"/>.</summary>
/// <param name="Kind">Skipped, Keyed or Full.</param>
/// <param name="Reason">Why a full run or a skip, in words; null for a keyed run.</param>
/// <param name="Full">The full result (for <see cref="EvaluationKind.Full"/>).</param>
/// <param name="Steps">The keyed rows (for <see cref="EvaluationKind.Keyed"/>).</param>
/// <param name="Keys">Number of changed keys evaluated.</param>
/// <param name="Seconds">Time the reads took.</param>
internal sealed record EvaluationOutcome(EvaluationKind Kind, string? Reason, LiveQueryResult? Full, IReadOnlyList<RestrictedRows> Steps, int Keys, double Seconds);
