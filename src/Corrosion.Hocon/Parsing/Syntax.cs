namespace Corrosion.Hocon.Parsing;

// The unresolved document. An object is a Scope: an ordered list of contributions ("this path gets
// this value"), each numbered in document order across files so that a self-reference can look at
// what was defined before it. Resolution folds the contributions for a path (see Resolver).

internal abstract record Expr(SourcePosition Position);

internal enum LiteralKind
{
    Quoted,
    Unquoted,
    Number,
    Whitespace,
}

/// <summary>A piece of text as written: a string, an unquoted word, a number or whitespace inside a concatenation.</summary>
internal sealed record LiteralExpr(SourcePosition Position, string Text, LiteralKind Kind) : Expr(Position);

/// <summary><c>${path}</c> or <c>${?path}</c>. <see cref="IncludePrefix"/> is where the file holding it was included.</summary>
internal sealed record SubstitutionExpr(SourcePosition Position, IReadOnlyList<string> Path, bool Optional, IReadOnlyList<string> IncludePrefix, string Text)
    : Expr(Position);

/// <summary>Values written next to each other on one line, whitespace included.</summary>
internal sealed record ConcatExpr(SourcePosition Position, IReadOnlyList<Expr> Parts) : Expr(Position);

internal sealed record ArrayExpr(SourcePosition Position, IReadOnlyList<Expr> Elements) : Expr(Position);

/// <summary>An object literal that is not directly a field's value (inside an array or a concatenation).</summary>
internal sealed record ObjectExpr(SourcePosition Position, Scope Scope) : Expr(Position);

/// <summary>Says "an object is here": written for <c>a {}</c>, so that the key exists and replaces a scalar.</summary>
internal sealed record EmptyObjectExpr(SourcePosition Position) : Expr(Position);

internal sealed record Contribution(IReadOnlyList<string> Path, Expr Value, int Seq);

internal sealed class Scope(bool isRoot)
{
    public bool IsRoot { get; } = isRoot;

    public List<Contribution> Items { get; } = [];
}
