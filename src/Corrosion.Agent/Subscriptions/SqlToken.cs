namespace Corrosion.Agent.Subscriptions;

/// <summary>One token of a SQL text.</summary>
/// <param name="Kind">What kind of token.</param>
/// <param name="Text">For identifiers the name without quotes; otherwise the token as written.</param>
/// <param name="Start">Offset of its first character in the text.</param>
/// <param name="End">Offset just after its last character.</param>
internal readonly record struct SqlToken(SqlTokenKind Kind, string Text, int Start, int End)
{
    /// <summary>True for a bare word equal to <paramref name="keyword"/> (case-insensitive); quoted names are never keywords.</summary>
    public bool Is(string keyword) => Kind == SqlTokenKind.Word && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

    /// <summary>True for the symbol <paramref name="symbol"/>.</summary>
    public bool IsSymbol(string symbol) => Kind == SqlTokenKind.Symbol && Text == symbol;

    /// <summary>True for a name: a bare word or a quoted identifier.</summary>
    public bool IsName => Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier;
}
