namespace Corrosion.Client;

/// <summary>A subscription stream whose headers and columns line have been read.</summary>
internal sealed record AttachedSubscription(NdjsonStream Stream, string QueryId, string? QueryHash, IReadOnlyList<string> Columns);
