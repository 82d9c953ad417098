namespace Corrosion.Hocon.Parsing;

internal enum TokenKind
{
    Eof,
    Newline,
    Whitespace,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Equals,
    PlusEquals,
    QuotedString,
    Unquoted,
    Number,
    Substitution,
}

/// <summary>
/// A lexical token. <see cref="Text"/> is the decoded value for strings, the raw text otherwise;
/// substitutions carry their parsed path.
/// </summary>
internal sealed record Token(TokenKind Kind, string Text, SourcePosition Position)
{
    public IReadOnlyList<string>? Path { get; init; }

    public bool Optional { get; init; }

    public string Describe() => Kind switch
    {
        TokenKind.Eof => "end of input",
        TokenKind.Newline => "end of line",
        TokenKind.Whitespace => "whitespace",
        TokenKind.QuotedString => $"string \"{Text}\"",
        TokenKind.Unquoted => $"'{Text}'",
        TokenKind.Number => $"number {Text}",
        TokenKind.Substitution => $"substitution ${{{(Optional ? "?" : string.Empty)}{Text}}}",
        _ => $"'{Text}'",
    };
}
