using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Corrosion.Client;

/// <summary>
/// Maps result rows to <typeparamref name="T"/>: columns bind to constructor parameters (the public
/// constructor with the most parameters) and then to settable properties, by name, ignoring case and
/// underscores (<c>created_at</c> binds <c>CreatedAt</c>). The reflection is done once per type.
/// </summary>
internal static class RowMapper<T>
{
    /// <summary>Binds the type's plan (built once, then cached) to a result's columns; the returned function maps one row.</summary>
    public static Func<IReadOnlyList<JsonElement>, T> Bind(IReadOnlyList<string> columns) => TypePlan.For(typeof(T)).Bind<T>(columns);
}

/// <summary>The members of a type that columns can bind to.</summary>
internal sealed class TypePlan
{
    private static readonly ConcurrentDictionary<Type, TypePlan> Plans = new();
    private static readonly NullabilityInfoContext Nullability = new();

    private readonly Type _type;
    private readonly ConstructorInfo? _constructor;
    private readonly MemberPlan[] _parameters;
    private readonly MemberPlan[] _properties;

    private TypePlan(Type type, ConstructorInfo? constructor, MemberPlan[] parameters, MemberPlan[] properties)
    {
        _type = type;
        _constructor = constructor;
        _parameters = parameters;
        _properties = properties;
    }

    public static TypePlan For(Type type) => Plans.GetOrAdd(type, Build);

    public Func<IReadOnlyList<JsonElement>, T> Bind<T>(IReadOnlyList<string> columns)
    {
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            byName.TryAdd(Normalize(columns[i]), i);
        }

        var parameterColumns = new int[_parameters.Length];
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (byName.TryGetValue(p.Key, out var column))
            {
                parameterColumns[i] = column;
            }
            else if (p.HasDefault)
            {
                parameterColumns[i] = -1;
            }
            else
            {
                throw Missing(p, columns);
            }
        }

        var propertyBindings = new List<(MemberPlan Plan, int Column)>();
        foreach (var p in _properties)
        {
            if (byName.TryGetValue(p.Key, out var column))
            {
                propertyBindings.Add((p, column));
            }
            else if (p.Required)
            {
                throw Missing(p, columns);
            }
        }

        if (parameterColumns.Length == 0 && propertyBindings.Count == 0)
        {
            throw new RowMappingException($"no column of ({string.Join(", ", columns)}) matches a constructor parameter or settable property of {_type.Name}");
        }

        return cells =>
        {
            if (cells.Count < columns.Count)
            {
                throw new RowMappingException($"a row has {cells.Count} cells for {columns.Count} columns");
            }

            var args = new object?[parameterColumns.Length];
            for (var i = 0; i < args.Length; i++)
            {
                var p = _parameters[i];
                args[i] = parameterColumns[i] < 0 ? p.DefaultValue : p.Convert(cells[parameterColumns[i]], columns[parameterColumns[i]]);
            }

            var instance = _constructor is null ? Activator.CreateInstance(_type)! : _constructor.Invoke(args);
            foreach (var (plan, column) in propertyBindings)
            {
                plan.Set!(instance, plan.Convert(cells[column], columns[column]));
            }

            return (T)instance;
        };
    }

    private RowMappingException Missing(MemberPlan member, IReadOnlyList<string> columns) =>
        new($"{_type.Name}.{member.Name} has no matching column; the query returned ({string.Join(", ", columns)})");

    internal static string Normalize(string name) => name.Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant();

    private static TypePlan Build(Type type)
    {
        if (type.IsAbstract || type.IsInterface || type.IsPrimitive || type == typeof(string))
        {
            throw new RowMappingException($"{type.Name} cannot be mapped from a row: use a record or a class with settable properties");
        }

        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault();
        if (constructor is null && !type.IsValueType)
        {
            throw new RowMappingException($"{type.Name} has no public constructor");
        }

        var parameters = (constructor?.GetParameters() ?? [])
            .Select(p => MemberPlan.ForParameter(type, p, Nullability.Create(p)))
            .ToArray();
        if (constructor is not null && parameters.Length == 0)
        {
            constructor = null; // parameterless: Activator is enough (and covers structs)
        }

        var bound = new HashSet<string>(parameters.Select(p => p.Key), StringComparer.Ordinal);
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0 && !bound.Contains(Normalize(p.Name)))
            .Select(p => MemberPlan.ForProperty(type, p, Nullability.Create(p)))
            .ToArray();
        return new TypePlan(type, constructor, parameters, properties);
    }
}

/// <summary>One constructor parameter or property: its key, how to convert a cell to it, how to set it.</summary>
internal sealed class MemberPlan
{
    private readonly Type _owner;
    private readonly Type _target;
    private readonly bool _nullable;

    private MemberPlan(Type owner, string name, Type type, bool nullable)
    {
        _owner = owner;
        Name = name;
        Key = TypePlan.Normalize(name);
        var underlying = Nullable.GetUnderlyingType(type);
        _target = underlying ?? type;
        _nullable = underlying is not null || nullable;
        if (!IsSupported(_target))
        {
            throw new RowMappingException($"{owner.Name}.{name} is of type {type.Name}, which a cell cannot be converted to (use long, int, double, string, bool, byte[], an enum, JsonElement or their nullable forms)");
        }
    }

    public string Name { get; }

    public string Key { get; }

    public bool HasDefault { get; private init; }

    public object? DefaultValue { get; private init; }

    public bool Required { get; private init; }

    public Action<object, object?>? Set { get; private init; }

    public static MemberPlan ForParameter(Type owner, ParameterInfo parameter, NullabilityInfo nullability) =>
        new(owner, parameter.Name ?? $"arg{parameter.Position}", parameter.ParameterType, IsNullable(parameter.ParameterType, nullability))
        {
            HasDefault = parameter.HasDefaultValue,
            DefaultValue = parameter.HasDefaultValue ? parameter.DefaultValue : null,
        };

    public static MemberPlan ForProperty(Type owner, PropertyInfo property, NullabilityInfo nullability) =>
        new(owner, property.Name, property.PropertyType, IsNullable(property.PropertyType, nullability))
        {
            Required = property.IsDefined(typeof(System.Runtime.CompilerServices.RequiredMemberAttribute), inherit: true),
            Set = property.SetValue,
        };

    private static bool IsNullable(Type type, NullabilityInfo info) =>
        !type.IsValueType && info.WriteState != NullabilityState.NotNull;

    private static bool IsSupported(Type t) =>
        t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(byte) || t == typeof(uint) || t == typeof(ulong)
        || t == typeof(double) || t == typeof(float) || t == typeof(decimal)
        || t == typeof(string) || t == typeof(bool) || t == typeof(byte[]) || t == typeof(JsonElement) || t == typeof(object) || t.IsEnum;

    public object? Convert(JsonElement cell, string column)
    {
        if (_target == typeof(JsonElement))
        {
            return cell.Clone();
        }

        if (cell.ValueKind == JsonValueKind.Null)
        {
            return _nullable ? null : throw Incompatible(cell, column, "is NULL");
        }

        try
        {
            return ConvertNonNull(cell, column);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidOperationException)
        {
            throw Incompatible(cell, column, $"({e.Message})");
        }
    }

    private object ConvertNonNull(JsonElement cell, string column)
    {
        var t = _target.IsEnum ? Enum.GetUnderlyingType(_target) : _target;
        object value = cell.ValueKind switch
        {
            JsonValueKind.Number when t == typeof(long) => cell.GetInt64(),
            JsonValueKind.Number when t == typeof(int) => cell.GetInt32(),
            JsonValueKind.Number when t == typeof(short) => cell.GetInt16(),
            JsonValueKind.Number when t == typeof(byte) => cell.GetByte(),
            JsonValueKind.Number when t == typeof(uint) => cell.GetUInt32(),
            JsonValueKind.Number when t == typeof(ulong) => cell.GetUInt64(),
            JsonValueKind.Number when t == typeof(double) => ReadReal(cell),
            JsonValueKind.Number when t == typeof(float) => (float)ReadReal(cell),
            JsonValueKind.Number when t == typeof(decimal) => cell.GetDecimal(),
            JsonValueKind.Number when t == typeof(bool) => cell.GetInt64() switch
            {
                0 => false,
                1 => true,
                _ => throw Incompatible(cell, column, "is neither 0 nor 1"),
            },
            JsonValueKind.True when t == typeof(bool) => true,
            JsonValueKind.False when t == typeof(bool) => false,
            JsonValueKind.String when t == typeof(string) => cell.GetString()!,
            JsonValueKind.String when _target.IsEnum => Enum.Parse(_target, cell.GetString()!, ignoreCase: true),
            JsonValueKind.Array when t == typeof(byte[]) => cell.EnumerateArray().Select(b => b.GetByte()).ToArray(),
            _ when t == typeof(object) => Plain(cell),
            _ => throw Incompatible(cell, column, string.Empty),
        };
        return _target.IsEnum && value.GetType() != _target ? Enum.ToObject(_target, value) : value;
    }

    private static object Plain(JsonElement cell) => cell.ValueKind switch
    {
        JsonValueKind.Number when cell.TryGetInt64(out var l) => l,
        JsonValueKind.Number => ReadReal(cell),
        JsonValueKind.String => cell.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => cell.EnumerateArray().Select(b => b.GetByte()).ToArray(),
        _ => cell.Clone(),
    };

    /// <summary>
    /// A REAL cell as a double. The node writes an infinity as SQLite's JSON functions do
    /// (<c>9e999</c>), a number beyond a double's range that <see cref="JsonElement.GetDouble"/> refuses.
    /// </summary>
    internal static double ReadReal(JsonElement cell) =>
        cell.TryGetDouble(out var value) ? value : double.Parse(cell.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private RowMappingException Incompatible(JsonElement cell, string column, string why)
    {
        var shown = cell.ValueKind == JsonValueKind.Null ? "NULL" : Truncate(cell.GetRawText());
        var target = _nullable && _target.IsValueType ? _target.Name + "?" : _target.Name;
        return new RowMappingException(string.Create(CultureInfo.InvariantCulture,
            $"column \"{column}\" value {shown} {why} cannot be converted to {_owner.Name}.{Name} ({target})").Replace("  ", " ", StringComparison.Ordinal));
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
