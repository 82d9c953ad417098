using System.Globalization;
using System.Text;

namespace Corrosion.Hocon.Tests.Fuzzing;

/// <summary>The kinds of input the fuzzer makes.</summary>
public enum FuzzKind
{
    MutatedSeed,
    TokenStream,
    DeepNesting,
    HugeValue,
    IncludeGraph,
    SubstitutionGraph,
}

/// <summary>One generated input: a document, and for include graphs the other files it may include.</summary>
public sealed record FuzzInput(int Index, FuzzKind Kind, string Text, IReadOnlyDictionary<string, string> Files)
{
    /// <summary>The first characters, printable, for a report.</summary>
    public string Preview(int length = 160)
    {
        var shown = Text.Length <= length ? Text : Text[..length] + $"… ({Text.Length} chars)";
        return string.Concat(shown.Select(c => c < 0x20 && c != '\n' ? $"\\u{(int)c:x4}" : c == '\n' ? "⏎" : c.ToString()));
    }
}

/// <summary>
/// Makes HOCON inputs from a seed and an index (so any one can be made again alone): valid
/// configurations mutated, random token streams, deep nesting, huge values, include graphs with
/// cycles, and substitution graphs with cycles and long chains.
/// </summary>
public sealed class HoconInputs
{
    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ":", "=", "+=", ",", "\n", " ", "\t", "\r\n", "#", "//", "\"", "\"\"\"", "${", "${?", "}", ".", "a", "b", "c",
        "db", "path", "gossip", "membership.bootstrap", "include", "include required(", "file(", "classpath(", "url(", ")", "\"x.conf\"",
        "null", "true", "false", "0", "-1", "1e999", "-0.0e-5", "9223372036854775808", "1.", ".5", "10ms", "64KiB", "infinite", "\\", "\\u",
        "\\u12", "\\ud800", "\"\\", "$", "?", "!", "@", "*", "&", "^", "`", "+", "\u0000", "\u0001", "\u001f", "\u007f", "\uFEFF", "\uD800", "\uDC00",
        "é", "𝄞", "a.b.c", "\"a.b\"", "${a}", "${?a}", "${a.b}", "${\"a\"}", "a = ${a}", "a += 1", "x { y = ${x} }", "[${a}]",
    ];

    private readonly int seed;
    private readonly string[] seeds;
    private readonly string scratch;

    /// <param name="seed">The run's seed; input i is the same for the same seed.</param>
    /// <param name="seeds">Valid documents to mutate (reference.conf, the examples...).</param>
    /// <param name="scratch">A directory for include graphs' files.</param>
    public HoconInputs(int seed, IEnumerable<string> seeds, string scratch)
    {
        this.seed = seed;
        this.seeds = seeds.ToArray();
        this.scratch = scratch;
    }

    public string Scratch => scratch;

    public FuzzInput Make(int index)
    {
        var random = new Random(unchecked((seed * 1_000_003) ^ index));
        var roll = random.Next(100);
        return roll switch
        {
            < 55 => new FuzzInput(index, FuzzKind.MutatedSeed, Mutate(random), Empty),
            < 70 => new FuzzInput(index, FuzzKind.TokenStream, TokenStream(random), Empty),
            < 78 => new FuzzInput(index, FuzzKind.DeepNesting, DeepNesting(random), Empty),
            < 81 => new FuzzInput(index, FuzzKind.HugeValue, HugeValue(random), Empty),
            < 88 => IncludeGraph(index, random),
            _ => new FuzzInput(index, FuzzKind.SubstitutionGraph, SubstitutionGraph(random), Empty),
        };
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private string Mutate(Random random)
    {
        var sb = new StringBuilder(seeds[random.Next(seeds.Length)]);
        var mutations = 1 + random.Next(random.Next(2) == 0 ? 3 : 12);
        for (var m = 0; m < mutations; m++)
        {
            var at = sb.Length == 0 ? 0 : random.Next(sb.Length + 1);
            var length = sb.Length - at == 0 ? 0 : random.Next(Math.Min(sb.Length - at, 1 + random.Next(40)) + 1);
            switch (random.Next(9))
            {
                case 0:
                    sb.Remove(at, length);
                    break;
                case 1:
                    sb.Insert(at, sb.ToString(at, length));
                    break;
                case 2:
                    sb.Insert(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 3:
                    sb.Insert(at, (char)random.Next(0, 0x80));
                    break;
                case 4 when sb.Length > 0:
                    sb[Math.Min(at, sb.Length - 1)] = (char)random.Next(0, 0x3000);
                    break;
                case 5:
                    sb.Length = at;
                    break;
                case 6:
                {
                    var other = seeds[random.Next(seeds.Length)];
                    var from = random.Next(other.Length);
                    sb.Insert(at, other.AsSpan(from, random.Next(Math.Min(200, other.Length - from) + 1)));
                    break;
                }

                case 7:
                {
                    // Swap two lines: moves definitions before or after the ones they override or refer to.
                    var lines = sb.ToString().Split('\n');
                    if (lines.Length > 1)
                    {
                        var i = random.Next(lines.Length);
                        var j = random.Next(lines.Length);
                        (lines[i], lines[j]) = (lines[j], lines[i]);
                        sb.Clear().AppendJoin('\n', lines);
                    }

                    break;
                }

                default:
                    sb.Insert(at, $"${{{Path(random)}}}");
                    break;
            }
        }

        return sb.ToString();
    }

    private static string Path(Random random)
    {
        string[] names = ["db", "path", "api", "addr", "gossip", "membership", "bootstrap", "a", "b", "x", "\"q.r\""];
        var n = 1 + random.Next(3);
        return string.Join('.', Enumerable.Range(0, n).Select(_ => names[random.Next(names.Length)]));
    }

    private static string TokenStream(Random random)
    {
        var sb = new StringBuilder();
        var n = random.Next(1, 200);
        for (var i = 0; i < n; i++)
        {
            sb.Append(Tokens[random.Next(Tokens.Length)]);
            if (random.Next(3) == 0)
            {
                sb.Append(' ');
            }
        }

        return sb.ToString();
    }

    private static string DeepNesting(Random random)
    {
        var depth = random.Next(4) switch
        {
            0 => random.Next(150, 260),
            1 => random.Next(1_000, 5_000),
            2 => random.Next(10_000, 100_000),
            _ => random.Next(1, 150),
        };
        var closed = random.Next(3) != 0;
        return random.Next(7) switch
        {
            0 => "a = " + new string('[', depth) + "1" + (closed ? new string(']', depth) : string.Empty),
            1 => string.Concat(Enumerable.Repeat("a { ", depth)) + "b = 1" + (closed ? new string('}', depth) : string.Empty),
            2 => string.Join('.', Enumerable.Repeat("k", depth)) + " = 1",
            3 => "a = " + string.Concat(Enumerable.Repeat("{ b: ", depth)) + "1" + (closed ? new string('}', depth) : string.Empty),
            4 => "a = " + string.Concat(Enumerable.Repeat("[{ b: ", depth)) + "1" + (closed ? string.Concat(Enumerable.Repeat("}]", depth)) : string.Empty),
            5 => string.Concat(Enumerable.Range(0, depth).Select(i => $"k{i} = ${{k{i + 1}}}\n")) + $"k{depth} = 1",
            _ => "x = " + string.Join(' ', Enumerable.Repeat("${?nothing}", depth)) + " 1",
        };
    }

    private static string HugeValue(Random random)
    {
        var size = random.Next(4) == 0 ? random.Next(300_000, 1 << 20) : random.Next(10_000, 100_000);
        var filler = new string((char)('a' + random.Next(26)), size);
        return random.Next(8) switch
        {
            0 => $"a = \"{filler}\"",
            1 => $"a = {filler}",
            2 => $"a = \"\"\"{filler}\n{filler}\"\"\"",
            3 => $"\"{filler}\" = 1",
            4 => string.Concat(Enumerable.Range(0, size / 10).Select(i => $"k{i} = {i}\n")),
            5 => "a = [" + string.Join(',', Enumerable.Range(0, size / 8)) + "]",
            6 => $"a = \"{filler}",
            _ => "a = " + string.Concat(Enumerable.Repeat("x ", size / 2)),
        };
    }

    private FuzzInput IncludeGraph(int index, Random random)
    {
        var n = 1 + random.Next(6);
        var files = new Dictionary<string, string>();
        for (var i = 0; i < n; i++)
        {
            var sb = new StringBuilder();
            var lines = 1 + random.Next(5);
            for (var l = 0; l < lines; l++)
            {
                switch (random.Next(6))
                {
                    case 0:
                        sb.Append(CultureInfo.InvariantCulture, $"include \"f{random.Next(n + 1)}.conf\"\n");
                        break;
                    case 1:
                        sb.Append(CultureInfo.InvariantCulture, $"include required(\"f{random.Next(n + 1)}\")\n");
                        break;
                    case 2:
                        sb.Append(CultureInfo.InvariantCulture, $"k{random.Next(4)} {{ include file(\"f{random.Next(n)}.conf\") }}\n");
                        break;
                    case 3:
                        sb.Append(CultureInfo.InvariantCulture, $"k{random.Next(4)} = ${{?k{random.Next(4)}}}\n");
                        break;
                    case 4:
                        sb.Append(CultureInfo.InvariantCulture, $"k{random.Next(4)}.v{i} = {i}\n");
                        break;
                    default:
                        sb.Append(CultureInfo.InvariantCulture, $"include \"{(random.Next(2) == 0 ? "../" : "/nonexistent/")}f{i}.conf\"\n");
                        break;
                }
            }

            files[$"f{i}.conf"] = sb.ToString();
        }

        return new FuzzInput(index, FuzzKind.IncludeGraph, files["f0.conf"], files);
    }

    private static string SubstitutionGraph(Random random)
    {
        var n = 2 + random.Next(random.Next(4) == 0 ? 3000 : 12);
        var sb = new StringBuilder();
        for (var i = 0; i < n; i++)
        {
            var target = random.Next(n);
            var optional = random.Next(4) == 0 ? "?" : string.Empty;
            switch (random.Next(8))
            {
                case 0:
                    sb.Append(CultureInfo.InvariantCulture, $"k{i} = ${{{optional}k{target}}}\n");
                    break;
                case 1:
                    sb.Append(CultureInfo.InvariantCulture, $"k{i} = ${{{optional}k{target}}} \"s\" ${{?k{random.Next(n)}}}\n");
                    break;
                case 2:
                    sb.Append(CultureInfo.InvariantCulture, $"k{i} {{ x = ${{{optional}k{target}}}, y = {i} }}\n");
                    break;
                case 3:
                    sb.Append(CultureInfo.InvariantCulture, $"k{i} = [${{{optional}k{target}}}]\n");
                    break;
                case 4:
                    sb.Append(CultureInfo.InvariantCulture, $"k{i} += ${{{optional}k{target}}}\n");
                    break;
                case 5:
                    sb.Append(CultureInfo.InvariantCulture, $"k{i} = ${{k{target}.x}}\n");
                    break;
                case 6:
                    sb.Append(CultureInfo.InvariantCulture, $"k{i} = ${{{optional}k{i}}} {{ z = {i} }}\n");
                    break;
                default:
                    sb.Append(CultureInfo.InvariantCulture, $"k{i} = {i}\n");
                    break;
            }
        }

        return sb.ToString();
    }
}
