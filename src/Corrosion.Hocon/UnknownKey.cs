namespace Corrosion.Hocon;

/// <summary>A configuration key that nothing reads (see <see cref="KnownKeys"/>).</summary>
/// <param name="Key">The key, dotted (<c>gossip.bootstrap</c>).</param>
/// <param name="Origin">Where it was set (<c>node.conf:3:3</c>, <c>environment variable CORROSION_X__Y</c>), when known.</param>
/// <param name="Suggestion">The closest known key, when one is close.</param>
/// <param name="SuggestedVariable">For an environment variable, the variable that sets <paramref name="Suggestion"/>.</param>
/// <param name="KnownInSection">When nothing is close, the keys its section does have.</param>
public sealed record UnknownKey(string Key, string? Origin, string? Suggestion, string? SuggestedVariable = null, IReadOnlyList<string>? KnownInSection = null)
{
    /// <summary>One line: where, which key, and what was probably meant.</summary>
    public override string ToString()
    {
        var where = Origin is null ? string.Empty : Origin + ": ";
        var hint = Suggestion is not null
            ? $"; did you mean {Suggestion}{(SuggestedVariable is null ? string.Empty : $" ({SuggestedVariable})")}?"
            : KnownInSection is { Count: > 0 } known
                ? $"; {Key[..Key.LastIndexOf('.')]} has {string.Join(", ", known)}"
                : string.Empty;
        return $"{where}unknown configuration key {Key}{hint}";
    }
}
