using System.Runtime.CompilerServices;

namespace Corrosion.Hocon.Parsing;

/// <summary>
/// Resolves substitutions and merges. The value at a path is the fold, in document order, of every
/// contribution to that path, to a parent of it (navigated down) or to a child of it (which makes it
/// an object). A substitution that points into its own field sees only the contributions before
/// that field's definition (HOCON.md, "Self-Referential Substitutions").
/// </summary>
internal sealed class Resolver
{
    /// <summary>Most substitutions resolved inside one another (a chain <c>a = ${b}, b = ${c}...</c>).</summary>
    public const int MaxSubstitutionDepth = 100;

    private readonly Scope root;
    private readonly Func<string, string?> environment;
    private readonly Dictionary<(Scope Scope, string Path, int Before), RValue?> values = [];
    private readonly HashSet<(Scope Scope, string Path, int Before)> valuesInProgress = [];
    private readonly Dictionary<Contribution, RValue?> evaluated = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Contribution> evaluating = new(ReferenceEqualityComparer.Instance);
    private readonly ConditionalWeakTable<Scope, EvalContext> scopeContexts = [];
    private readonly List<SubstitutionExpr> lookups = [];
    private readonly Dictionary<Scope, ScopeIndex> indexes = new(ReferenceEqualityComparer.Instance);

    public Resolver(Scope root, HoconParseOptions options)
    {
        this.root = root;
        environment = options.EnvironmentVariables ?? Environment.GetEnvironmentVariable;
    }

    private enum Relation
    {
        Unrelated,
        Equal,
        ContributionIsParent,
        ContributionIsChild,
    }

    public HoconObject ResolveRoot()
    {
        var value = Value(root, [], int.MaxValue);
        return value is RObject obj ? (HoconObject)new Materializer().Materialize(obj) : HoconObject.Empty;
    }

    public RValue? Value(Scope scope, IReadOnlyList<string> path, int before)
    {
        var key = (scope, ScopeIndex.Key(path, path.Count), before);
        if (values.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (!valuesInProgress.Add(key))
        {
            throw CycleError(HoconPath.Render(path));
        }

        try
        {
            var result = Fold(scope, path, before);
            values[key] = result;
            return result;
        }
        finally
        {
            valuesInProgress.Remove(key);
        }
    }

    private static Relation Compare(IReadOnlyList<string> contribution, IReadOnlyList<string> path)
    {
        var n = Math.Min(contribution.Count, path.Count);
        for (var i = 0; i < n; i++)
        {
            if (!string.Equals(contribution[i], path[i], StringComparison.Ordinal))
            {
                return Relation.Unrelated;
            }
        }

        return contribution.Count == path.Count ? Relation.Equal
            : contribution.Count < path.Count ? Relation.ContributionIsParent
            : Relation.ContributionIsChild;
    }

    private static bool StartsWith(IReadOnlyList<string> path, IReadOnlyList<string> prefix) =>
        path.Count >= prefix.Count && Compare(prefix, path) is Relation.Equal or Relation.ContributionIsParent;

    private RValue? Fold(Scope scope, IReadOnlyList<string> path, int before)
    {
        RValue? scalar = null;
        SubstitutionExpr? via = null;
        List<string>? keys = null;
        HashSet<string>? keySet = null;

        void BecomeObject()
        {
            if (keys is null)
            {
                keys = [];
                keySet = new HashSet<string>(StringComparer.Ordinal);
                scalar = null;
            }
        }

        void AddKey(string k)
        {
            if (keySet!.Add(k))
            {
                keys!.Add(k);
            }
        }

        void Apply(RValue v)
        {
            if (v is RObject obj)
            {
                BecomeObject();
                foreach (var k in obj.Keys)
                {
                    AddKey(k);
                }
            }
            else
            {
                scalar = v;
                keys = null;
                keySet = null;
            }
        }

        if (!indexes.TryGetValue(scope, out var index))
        {
            index = new ScopeIndex(scope);
            indexes[scope] = index;
        }

        // Walk back from the last contribution to the last one that replaces the value outright (a
        // scalar, an array, or a scalar set above this path): the ones before it are never evaluated,
        // so a substitution in a value that a later definition replaces is not resolved (HOCON.md).
        var relevant = index.Relevant(path);
        var effects = new List<Effect>();
        for (var n = relevant.Count - 1; n >= 0; n--)
        {
            var c = relevant[n];
            if (c.Seq >= before)
            {
                continue;
            }

            var effect = Effect.None;
            switch (Compare(c.Path, path))
            {
                case Relation.Equal:
                    if (Evaluate(scope, c) is { } v)
                    {
                        effect = new Effect(v, v is SubstitutedObject s ? s.Via : null, null, false);
                    }

                    break;
                case Relation.ContributionIsParent:
                    if (Evaluate(scope, c) is { } parent)
                    {
                        effect = WalkDown(parent, c.Path.Count, path);
                    }

                    break;
                case Relation.ContributionIsChild:
                    effect = new Effect(null, null, c.Path[path.Count], false);
                    break;
            }

            if (effect == Effect.None)
            {
                continue;
            }

            effects.Add(effect);
            if (effect.Reset || (effect.Value is not null and not RObject))
            {
                break;
            }
        }

        for (var n = effects.Count - 1; n >= 0; n--)
        {
            var effect = effects[n];
            if (effect.Reset)
            {
                // A scalar was set above this path: whatever was here before is gone.
                scalar = null;
                keys = null;
                keySet = null;
            }
            else if (effect.ChildKey is { } childKey)
            {
                BecomeObject();
                AddKey(childKey);
            }
            else
            {
                via = effect.Via ?? via;
                Apply(effect.Value!);
            }
        }

        return keys is not null ? new ScopeObject(this, scope, path, before, keys, via) : scalar;
    }

    /// <summary>From a parent's value down to <paramref name="path"/>: its value there, nothing, or a reset (a scalar in between).</summary>
    private static Effect WalkDown(RValue parent, int from, IReadOnlyList<string> path)
    {
        var current = parent;
        for (var i = from; i < path.Count; i++)
        {
            if (current is not RObject o)
            {
                return new Effect(null, null, null, true);
            }

            if (!o.HasKey(path[i]) || o.Get(path[i]) is not { } next)
            {
                return Effect.None;
            }

            current = next;
        }

        return new Effect(current, parent is SubstitutedObject s ? s.Via : null, null, false);
    }

    /// <summary>What one contribution does to a path: gives it a value, adds a child key, or resets it.</summary>
    private sealed record Effect(RValue? Value, SubstitutionExpr? Via, string? ChildKey, bool Reset)
    {
        public static Effect None { get; } = new(null, null, null, false);
    }

    private RValue? Evaluate(Scope scope, Contribution c)
    {
        if (evaluated.TryGetValue(c, out var cached))
        {
            return cached;
        }

        if (!evaluating.Add(c))
        {
            throw CycleError(HoconPath.Render(c.Path));
        }

        try
        {
            var context = scope.IsRoot ? new EvalContext(c.Path, c.Seq) : scopeContexts.TryGetValue(scope, out var ctx) ? ctx : null;
            var result = Eval(c.Value, context);
            evaluated[c] = result;
            return result;
        }
        finally
        {
            evaluating.Remove(c);
        }
    }

    private RValue? Eval(Expr expr, EvalContext? context)
    {
        switch (expr)
        {
            case LiteralExpr literal:
                return literal.Kind switch
                {
                    LiteralKind.Number => new RScalar(HoconValueType.Number, literal.Text, literal.Position),
                    LiteralKind.Unquoted when literal.Text is "true" or "false" => new RScalar(HoconValueType.Boolean, literal.Text, literal.Position),
                    LiteralKind.Unquoted when literal.Text == "null" => new RScalar(HoconValueType.Null, null, literal.Position),
                    _ => new RScalar(HoconValueType.String, literal.Text, literal.Position),
                };
            case EmptyObjectExpr:
                return EmptyObject.Instance;
            case ObjectExpr obj:
                if (context is not null)
                {
                    scopeContexts.AddOrUpdate(obj.Scope, context);
                }

                return Value(obj.Scope, [], int.MaxValue);
            case ArrayExpr array:
                return new RArray(array.Elements.Select(e => Eval(e, context)).OfType<RValue>().ToArray(), array.Position);
            case SubstitutionExpr substitution:
                return Lookup(substitution, context);
            case ConcatExpr concat:
                return Concatenate(concat, context);
            default:
                throw new InvalidOperationException($"unknown expression {expr.GetType().Name}");
        }
    }

    private RValue? Concatenate(ConcatExpr concat, EvalContext? context)
    {
        var parts = new List<(RValue Value, bool Whitespace)>();
        foreach (var part in concat.Parts)
        {
            if (part is LiteralExpr { Kind: LiteralKind.Whitespace } ws)
            {
                parts.Add((new RScalar(HoconValueType.String, ws.Text, ws.Position), true));
            }
            else if (Eval(part, context) is { } v)
            {
                parts.Add((v, false));
            }
        }

        var values = parts.Where(p => !p.Whitespace).Select(p => p.Value).ToList();
        if (values.Count == 0)
        {
            return null;
        }

        if (values.Count == 1)
        {
            return values[0];
        }

        if (values.Any(v => v is RObject))
        {
            return values.All(v => v is RObject)
                ? new MergedObject(values.Cast<RObject>().ToArray())
                : throw concat.Position.Error("cannot concatenate an object with a string, number or array");
        }

        if (values.Any(v => v is RArray))
        {
            return values.All(v => v is RArray)
                ? new RArray(values.Cast<RArray>().SelectMany(a => a.Items).ToArray(), concat.Position)
                : throw concat.Position.Error("cannot concatenate an array with a string, number or object");
        }

        var text = string.Concat(parts.Select(p => ((RScalar)p.Value).Text ?? "null"));
        return new RScalar(HoconValueType.String, text, concat.Position);
    }

    private RValue? Lookup(SubstitutionExpr substitution, EvalContext? context)
    {
        // Each substitution that needs another one to resolve goes deeper into the stack; refuse a
        // chain no real configuration has before the stack runs out (found by fuzzing: a chain of a
        // few hundred overflowed a 1 MiB stack).
        if (lookups.Count >= MaxSubstitutionDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            var chain = lookups.Count <= 6
                ? string.Join(" -> ", lookups.Select(s => $"${{{s.Text}}}"))
                : string.Join(" -> ", lookups.Take(3).Select(s => $"${{{s.Text}}}")) + " -> ... -> " + string.Join(" -> ", lookups.TakeLast(3).Select(s => $"${{{s.Text}}}"));
            throw substitution.Position.Error($"substitutions nested more than {lookups.Count} deep ({chain} -> ${{{substitution.Text}}})");
        }

        lookups.Add(substitution);
        try
        {
            var candidates = substitution.IncludePrefix.Count > 0
                ? new[] { [.. substitution.IncludePrefix, .. substitution.Path], substitution.Path }
                : new[] { substitution.Path };
            foreach (var candidate in candidates)
            {
                var before = context is not null && StartsWith(candidate, context.SelfPath) ? context.Seq : int.MaxValue;
                if (Value(root, candidate, before) is { } found)
                {
                    return found is RObject obj ? new SubstitutedObject(obj, substitution) : found;
                }
            }

            if (environment(substitution.Text) is { } env)
            {
                return new RScalar(HoconValueType.String, env, substitution.Position);
            }

            if (substitution.Optional)
            {
                return null;
            }

            throw substitution.Position.Error(
                $"could not resolve substitution ${{{substitution.Text}}}: no value at path '{HoconPath.Render(substitution.Path)}' and no environment variable '{substitution.Text}' (use ${{?{substitution.Text}}} if it is optional)");
        }
        finally
        {
            lookups.RemoveAt(lookups.Count - 1);
        }
    }

    private HoconException CycleError(string path)
    {
        if (lookups.Count == 0)
        {
            return new HoconException($"cycle while resolving '{path}'");
        }

        var chain = string.Join(" -> ", lookups.Select(s => $"${{{s.Text}}} ({s.Position.Line}:{s.Position.Column})"));
        return lookups[^1].Position.Error($"substitution cycle: {chain} refers back to '{path}'");
    }

    private sealed record EvalContext(IReadOnlyList<string> SelfPath, int Seq);

    /// <summary>Turns lazy values into the public tree, detecting objects that contain themselves.</summary>
    private sealed class Materializer
    {
        private const int MaxDepth = Parser.MaxNesting + 50;

        private readonly Dictionary<RObject, HoconObject> done = new(ReferenceEqualityComparer.Instance);
        private readonly List<(RObject Identity, SubstitutionExpr? Via)> stack = [];

        public HoconValue Materialize(RValue value)
        {
            switch (value)
            {
                case RScalar s:
                    return new HoconScalar(s.Type, s.Text, s.Position?.ToString());
                case RArray a:
                    return new HoconArray(a.Items.Select(Materialize).ToArray(), a.Position.ToString());
                case RObject o:
                {
                    var identity = o.Identity;
                    if (done.TryGetValue(identity, out var existing))
                    {
                        return existing;
                    }

                    var via = (o as SubstitutedObject)?.Via ?? (identity as ScopeObject)?.Via;

                    // An object that contains itself shows either as the same object again or, seen
                    // through paths, as nesting without end; no real configuration nests this deep.
                    var cycle = stack.Any(e => ReferenceEquals(e.Identity, identity));
                    if (cycle || stack.Count > MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
                    {
                        var culprit = via ?? stack.LastOrDefault(e => e.Via is not null).Via;
                        var message = cycle
                            ? "substitution cycle: an object contains a substitution of itself"
                            : $"substitution cycle, or objects nested more than {stack.Count} deep through substitutions: an object that contains a substitution of itself nests without end";
                        throw culprit is not null ? culprit.Position.Error($"{message} (${{{culprit.Text}}})") : new HoconException(message);
                    }

                    stack.Add((identity, via));
                    try
                    {
                        var fields = new List<KeyValuePair<string, HoconValue>>();
                        foreach (var key in o.Keys)
                        {
                            if (o.Get(key) is { } v)
                            {
                                fields.Add(new(key, Materialize(v)));
                            }
                        }

                        var result = new HoconObject(fields, null);
                        done[identity] = result;
                        return result;
                    }
                    finally
                    {
                        stack.RemoveAt(stack.Count - 1);
                    }
                }

                default:
                    throw new InvalidOperationException("unknown value");
            }
        }
    }
}
