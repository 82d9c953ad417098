namespace Corrosion.Hocon.Parsing;

// Values during resolution. Objects are lazy: their keys are known when they are made, a field's
// value is computed when asked for, so "a { b = 1, c = ${a.b} }" does not look like a cycle.

internal abstract class RValue;

internal sealed class RScalar(HoconValueType type, string? text, SourcePosition? position) : RValue
{
    public HoconValueType Type { get; } = type;

    public string? Text { get; } = text;

    public SourcePosition? Position { get; } = position;
}

internal sealed class RArray(IReadOnlyList<RValue> items, SourcePosition position) : RValue
{
    public IReadOnlyList<RValue> Items { get; } = items;

    public SourcePosition Position { get; } = position;
}

internal abstract class RObject : RValue
{
    public abstract IReadOnlyList<string> Keys { get; }

    public abstract bool HasKey(string key);

    /// <summary>The field's value, or null when it is undefined (an optional substitution that found nothing).</summary>
    public abstract RValue? Get(string key);

    /// <summary>The object this one stands for (itself, or the target of a substitution).</summary>
    public virtual RObject Identity => this;
}

internal sealed class EmptyObject : RObject
{
    public static EmptyObject Instance { get; } = new();

    public override IReadOnlyList<string> Keys => [];

    public override bool HasKey(string key) => false;

    public override RValue? Get(string key) => null;
}

/// <summary>The object at a path of a scope, as defined by the contributions numbered below <c>before</c>.</summary>
internal sealed class ScopeObject(Resolver resolver, Scope scope, IReadOnlyList<string> path, int before, List<string> keys, SubstitutionExpr? via) : RObject
{
    private readonly HashSet<string> keySet = new(keys, StringComparer.Ordinal);

    /// <summary>A substitution that supplied some of the fields, to report endless nesting.</summary>
    public SubstitutionExpr? Via { get; } = via;

    public override IReadOnlyList<string> Keys => keys;

    public override bool HasKey(string key) => keySet.Contains(key);

    public override RValue? Get(string key) =>
        keySet.Contains(key) ? resolver.Value(scope, [.. path, key], before) : null;
}

/// <summary>Objects merged in order: later fields win, fields that are objects on both sides merge.</summary>
internal sealed class MergedObject : RObject
{
    private readonly IReadOnlyList<RObject> layers;
    private readonly List<string> keys = [];
    private readonly HashSet<string> keySet = new(StringComparer.Ordinal);

    public MergedObject(IReadOnlyList<RObject> layers)
    {
        this.layers = layers;
        foreach (var layer in layers)
        {
            foreach (var key in layer.Keys)
            {
                if (keySet.Add(key))
                {
                    keys.Add(key);
                }
            }
        }
    }

    public override IReadOnlyList<string> Keys => keys;

    public override bool HasKey(string key) => keySet.Contains(key);

    public override RValue? Get(string key)
    {
        // From the last layer back to the first that replaces the field outright: the layers before
        // it are not evaluated (a substitution in a replaced value is never resolved).
        var found = new List<RValue>();
        for (var i = layers.Count - 1; i >= 0; i--)
        {
            if (!layers[i].HasKey(key) || layers[i].Get(key) is not { } v)
            {
                continue;
            }

            found.Add(v);
            if (v is not RObject)
            {
                break;
            }
        }

        RValue? state = null;
        for (var i = found.Count - 1; i >= 0; i--)
        {
            var v = found[i];
            state = state is RObject older && v is RObject newer ? new MergedObject([older, newer]) : v;
        }

        return state;
    }
}

/// <summary>An object reached through a substitution; remembers which one, to report cycles.</summary>
internal sealed class SubstitutedObject(RObject target, SubstitutionExpr via) : RObject
{
    public SubstitutionExpr Via { get; } = via;

    public override IReadOnlyList<string> Keys => target.Keys;

    public override RObject Identity => target.Identity;

    public override bool HasKey(string key) => target.HasKey(key);

    public override RValue? Get(string key) => target.Get(key);
}
