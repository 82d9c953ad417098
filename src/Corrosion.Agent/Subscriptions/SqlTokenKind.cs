namespace Corrosion.Agent.Subscriptions;

/// <summary>The kinds of token <see cref="SqlTokenizer"/> tells apart.</summary>
internal enum SqlTokenKind
{
    /// <summary>A bare word: a keyword or an unquoted identifier.</summary>
    Word,

    /// <summary>An identifier in double quotes, back-quotes or brackets.</summary>
    QuotedIdentifier,

    /// <summary>A string literal in single quotes.</summary>
    String,

    /// <summary>A blob literal, <c>X'..'</c>.</summary>
    Blob,

    /// <summary>A numeric literal.</summary>
    Number,

    /// <summary>A parameter: <c>?</c>, <c>?NNN</c>, <c>:name</c>, <c>@name</c>, <c>$name</c>.</summary>
    Parameter,

    /// <summary>An operator or punctuation mark.</summary>
    Symbol,
}
