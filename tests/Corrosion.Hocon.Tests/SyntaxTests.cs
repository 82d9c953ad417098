namespace Corrosion.Hocon.Tests;

public class SyntaxTests
{
    [Fact]
    public void Json_is_valid_hocon()
    {
        var c = Hocon.Parse("""{ "a": 1, "b": [true, false, null], "c": { "d": "e" } }""");
        Assert.Equal(1, c.GetInt("a"));
        Assert.Equal(HoconValueType.Null, c.GetArray("b")[2].Type);
        Assert.Equal("e", c.GetString("c.d"));
    }

    [Fact]
    public void Root_braces_are_optional()
    {
        Assert.Equal("x", Hocon.Parse("a = x").GetString("a"));
        Assert.Equal("x", Hocon.Parse("{ a = x }").GetString("a"));
    }

    [Theory]
    [InlineData("a = 1")]
    [InlineData("a : 1")]
    [InlineData("a=1")]
    [InlineData("a:1")]
    public void Equals_and_colon_separate_keys_from_values(string text) =>
        Assert.Equal(1, Hocon.Parse(text).GetInt("a"));

    [Fact]
    public void Separator_may_be_omitted_before_an_object()
    {
        var c = Hocon.Parse("a { b = 1 }");
        Assert.Equal(1, c.GetInt("a.b"));
    }

    [Fact]
    public void Dotted_keys_create_nested_objects()
    {
        var c = Hocon.Parse("a.b.c = 1");
        Assert.Equal(1, c.GetObject("a").GetObject("b").GetInt("c"));
    }

    [Fact]
    public void Quoted_key_segments_keep_their_dots()
    {
        var c = Hocon.Parse("\"a.b\".c = 1");
        Assert.Equal(1, c.GetObject("\"a.b\"").GetInt("c"));
        Assert.True(c.ContainsKey("a.b"));
    }

    [Fact]
    public void Repeated_object_keys_merge()
    {
        var c = Hocon.Parse("foo { a = 1 }\nfoo { b = 2 }");
        Assert.Equal(1, c.GetInt("foo.a"));
        Assert.Equal(2, c.GetInt("foo.b"));
    }

    [Fact]
    public void Merging_is_recursive_and_dotted_keys_merge_with_objects()
    {
        var c = Hocon.Parse("a { b { c = 1, d = 2 } }\na.b.d = 3\na { b { e = 4 } }");
        Assert.Equal(1, c.GetInt("a.b.c"));
        Assert.Equal(3, c.GetInt("a.b.d"));
        Assert.Equal(4, c.GetInt("a.b.e"));
    }

    [Fact]
    public void Later_values_override_earlier_ones()
    {
        var c = Hocon.Parse("a = 1\na = 2");
        Assert.Equal(2, c.GetInt("a"));
    }

    [Fact]
    public void A_non_object_value_replaces_an_object_and_an_object_replaces_a_scalar()
    {
        var c = Hocon.Parse("a { x = 1 }\na = 5\nb = 5\nb { y = 2 }");
        Assert.Equal(5, c.GetInt("a"));
        Assert.Equal(2, c.GetInt("b.y"));
    }

    [Fact]
    public void An_object_after_a_scalar_does_not_keep_fields_from_before_the_scalar()
    {
        var c = Hocon.Parse("a { x = 1 }\na = 5\na { y = 2 }");
        Assert.False(c.HasPath("a.x"));
        Assert.Equal(2, c.GetInt("a.y"));
    }

    [Fact]
    public void Plus_equals_appends_to_an_array()
    {
        var c = Hocon.Parse("a = [1]\na += 2\nb += x");
        Assert.Equal(["1", "2"], c.GetStringList("a"));
        Assert.Equal(["x"], c.GetStringList("b"));
    }

    [Fact]
    public void Hash_and_double_slash_start_comments()
    {
        var c = Hocon.Parse("# top\na = 1 # trailing\n// another\nb = 2 // trailing\nc = \"# not a comment\"");
        Assert.Equal(1, c.GetInt("a"));
        Assert.Equal(2, c.GetInt("b"));
        Assert.Equal("# not a comment", c.GetString("c"));
        Assert.Equal(3, c.Count);
    }

    [Fact]
    public void Unquoted_strings_may_contain_dots_slashes_and_dashes()
    {
        var c = Hocon.Parse("a = /var/lib/corrosion/state.db\nb = 127.0.0.1\nc = some-thing");
        Assert.Equal("/var/lib/corrosion/state.db", c.GetString("a"));
        Assert.Equal("127.0.0.1", c.GetString("b"));
        Assert.Equal("some-thing", c.GetString("c"));
    }

    [Fact]
    public void Quoted_strings_decode_json_escapes()
    {
        var c = Hocon.Parse("a = \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\/\"");
        Assert.Equal("tab\there \"q\" \\ é /", c.GetString("a"));
    }

    [Fact]
    public void Triple_quoted_strings_span_lines_without_escapes()
    {
        var c = Hocon.Parse("a = \"\"\"line one\nline \\two \"quoted\"\"\"\"\nb = 1");
        Assert.Equal("line one\nline \\two \"quoted\"", c.GetString("a"));
        Assert.Equal(1, c.GetInt("b"));
    }

    [Fact]
    public void Simple_values_concatenate_into_a_string_keeping_inner_whitespace()
    {
        var c = Hocon.Parse("a = foo bar   baz \nb = \"x\" y 1\nc = 10 ms");
        Assert.Equal("foo bar   baz", c.GetString("a"));
        Assert.Equal("x y 1", c.GetString("b"));
        Assert.Equal(TimeSpan.FromMilliseconds(10), c.GetDuration("c"));
    }

    [Fact]
    public void Arrays_on_one_line_concatenate()
    {
        var c = Hocon.Parse("a = [1, 2] [3]");
        Assert.Equal(["1", "2", "3"], c.GetStringList("a"));
    }

    [Fact]
    public void Objects_on_one_line_merge()
    {
        var c = Hocon.Parse("a = { x = 1, y = 1 } { y = 2 }");
        Assert.Equal(1, c.GetInt("a.x"));
        Assert.Equal(2, c.GetInt("a.y"));
    }

    [Fact]
    public void Newlines_separate_fields_and_array_elements_like_commas()
    {
        var c = Hocon.Parse("a = 1\nb = 2,\nc = [\n  1\n  2,\n  3,\n]\n");
        Assert.Equal(2, c.GetInt("b"));
        Assert.Equal(["1", "2", "3"], c.GetStringList("c"));
    }

    [Fact]
    public void Keywords_and_numbers_keep_their_type_and_text()
    {
        var c = Hocon.Parse("t = true\nf = false\nn = null\nx = 1.50\ns = \"true\"");
        Assert.Equal(HoconValueType.Boolean, c.GetValue("t").Type);
        Assert.False(c.GetBool("f"));
        Assert.Equal(HoconValueType.Null, c.GetValue("n").Type);
        Assert.Equal(HoconValueType.Number, c.GetValue("x").Type);
        Assert.Equal("1.50", c.GetString("x"));
        Assert.Equal(HoconValueType.String, c.GetValue("s").Type);
    }

    [Fact]
    public void Whitespace_inside_a_key_is_kept()
    {
        var c = Hocon.Parse("a b c = 1");
        Assert.True(c.ContainsKey("a b c"));
    }

    [Fact]
    public void Flatten_gives_configuration_keys_with_colons_and_array_indexes()
    {
        var c = Hocon.Parse("db.path = /x\ngossip { bootstrap = [a, b] }\nempty {}\nn = null");
        var flat = c.Flatten().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("/x", flat["db:path"]);
        Assert.Equal("a", flat["gossip:bootstrap:0"]);
        Assert.Equal("b", flat["gossip:bootstrap:1"]);
        Assert.Null(flat["empty"]);
        Assert.Null(flat["n"]);
        Assert.Equal(5, flat.Count);
    }

    [Fact]
    public void ToString_renders_json_that_parses_back_to_the_same_tree()
    {
        var c = Hocon.Parse("a { b = [1, \"two\", { c = true }] }\nd = \"q\\\"\"");
        var again = Hocon.Parse(c.ToString());
        Assert.Equal(c.ToString(), again.ToString());
        Assert.Equal("q\"", again.GetString("d"));
    }

    [Fact]
    public void Getters_name_the_path_when_it_is_missing_or_of_the_wrong_type()
    {
        var c = Hocon.Parse("a { b = hello }");
        var missing = Assert.Throws<HoconException>(() => c.GetString("a.c"));
        Assert.Contains("a.c", missing.Message, StringComparison.Ordinal);
        var wrong = Assert.Throws<HoconException>(() => c.GetInt("a.b"));
        Assert.Contains("a.b", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("test.conf:1:9", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Booleans_accept_yes_no_on_off()
    {
        var c = Hocon.Parse("a = yes\nb = off");
        Assert.True(c.GetBool("a"));
        Assert.False(c.GetBool("b"));
    }
}
