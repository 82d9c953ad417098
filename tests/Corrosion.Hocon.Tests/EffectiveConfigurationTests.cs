using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Tests;

public class EffectiveConfigurationTests
{
    private const string Defaults = """
        db { path = "./data/x.db", schema_paths = [], pool = 4 }
        api { addr = "127.0.0.1:8080", tokens = [] }
        odd { "a.b" = 1, "with space" = "x y" }
        """;

    [Fact]
    public void The_rendering_parses_back_to_the_same_keys_and_values_with_origins_of_non_defaults()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", "db.pool = 2\nlist = [ { name = a, n = 1 }, { name = \"b\\\"q\", n = 2 } ]\nmulti = \"\"\"line\nnext\"\"\"\n");
        var root = new ConfigurationBuilder().AddHoconString(Defaults, "reference.conf").AddHoconFile(file).Build();

        var text = EffectiveConfiguration.Render(root, _ => false, HoconParser.Parse(Defaults), "reference.conf");
        var again = new ConfigurationBuilder().AddHoconString(text, "rendered").Build();

        Assert.Equal(
            root.AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal),
            again.AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Contains($"pool = 2  # {file}:1:11", text, StringComparison.Ordinal);
        Assert.Contains("path = \"./data/x.db\"\n", text, StringComparison.Ordinal);
        Assert.Contains("schema_paths = []\n", text, StringComparison.Ordinal);
        Assert.Contains("\"a.b\" = 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_are_masked_but_an_empty_secret_shows_as_empty()
    {
        var root = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["api:tokens:0"] = "abc",
            ["api:tokens:1"] = "def",
            ["api:password"] = "",
            ["api:addr"] = "x",
        }).Build();

        var text = EffectiveConfiguration.Render(root, key => key.Contains("token", StringComparison.Ordinal) || key.EndsWith("password", StringComparison.Ordinal));

        Assert.Contains("tokens = [\"****\", \"****\"]", text, StringComparison.Ordinal);
        Assert.Contains("password = \"\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("abc", text, StringComparison.Ordinal);
        Assert.Contains("addr = x", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dotted_key_nested_to_the_limit_renders_as_objects_that_parse_again()
    {
        // Found by the fuzzer (DeepNesting #193, seed 20261206): a 124-segment dotted key parsed, but its
        // rendering as nested objects counted each level twice (key and brace) and was refused.
        var key = string.Join('.', Enumerable.Repeat("k", 200));
        var root = new ConfigurationBuilder().AddHoconString(key + " = 1", "deep.conf").Build();

        var again = HoconParser.Parse(EffectiveConfiguration.Render(root, _ => false), "rendered");

        Assert.Equal(1, again.GetInt(key));
    }

    [Theory]
    [InlineData("host.127.0.0.1 = x")]
    [InlineData("{ \"s1:870\": \"v\" }")]
    [InlineData("a.1 = x\na.2 = y")]
    public void Objects_with_number_keys_are_not_rendered_as_arrays(string text)
    {
        // Found by the fuzzer (MutatedSeed #10292 and #11852, seed 20261206).
        var root = new ConfigurationBuilder().AddHoconString(text, "t.conf").Build();

        var again = new ConfigurationBuilder().AddHoconString(EffectiveConfiguration.Render(root, _ => false), "rendered").Build();

        Assert.Equal(
            root.AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal),
            again.AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("e = \"\"\"multi\n\"\"\"\n")]
    [InlineData("e = \"multi\\n\"\n")]
    [InlineData("e = \"12\\n\"\n")]
    [InlineData("\"key\\n\" = 1\n")]
    public void A_value_or_key_ending_in_a_newline_is_rendered_quoted_and_reads_back_the_same(string text)
    {
        // Found by the fuzzer (MutatedSeed #56112, seed 20261206): e = """multi⏎""" rendered as
        // "e = multi⏎", because the "safe to leave unquoted" patterns ended in $, which also matches
        // before a final newline; it read back as other keys.
        var root = new ConfigurationBuilder().AddHoconString(text, "t.conf").Build();

        var rendered = EffectiveConfiguration.Render(root, _ => false);
        var again = new ConfigurationBuilder().AddHoconString(rendered, "rendered").Build();

        Assert.Contains("\\n\"", rendered, StringComparison.Ordinal);
        Assert.Equal(
            root.AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal),
            again.AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }
}
