namespace Corrosion.Hocon.Tests;

public class MalformedInputTests
{
    [Theory]
    [InlineData("a {\n  b = 1\n", 3, 1, "unclosed object")]
    [InlineData("a = [1, 2\n", 2, 1, "unclosed array")]
    [InlineData("a = \"abc\nb = 1", 1, 5, "unclosed string")]
    [InlineData("a = \"\"\"abc", 1, 5, "unclosed triple-quoted")]
    [InlineData("a = \"bad \\q escape\"", 1, 10, "bad escape")]
    [InlineData("a = \"\\u12\"", 1, 6, "bad escape")]
    [InlineData("a = ${b", 1, 5, "unclosed substitution")]
    [InlineData("a = 1 }", 1, 7, "expected ','")]
    [InlineData("a 1", 1, 4, "expected ':', '=', '+=' or '{'")]
    [InlineData("a = ", 1, 5, "expected a value")]
    [InlineData("{ a = 1 } b = 2", 1, 11, "expected end of input")]
    [InlineData("a = 1,, b = 2", 1, 7, "unexpected ','")]
    [InlineData("a..b = 1", 1, 1, "empty segment")]
    [InlineData("a = b + c", 1, 7, "'+'")]
    [InlineData("a = x: y", 1, 6, "unexpected ':'")]
    [InlineData("[1, 2]", 1, 1, "must be an object")]
    [InlineData("a = {x = 1} \"s\"", 1, 13, "cannot concatenate")]
    [InlineData("include \"a\" \"b\"", 1, 13, "one quoted file name")]
    [InlineData("include url(\"http://x\")", 1, 1, "not supported")]
    public void Malformed_input_fails_naming_line_column_and_what_was_expected(string text, int line, int column, string expected)
    {
        var e = Hocon.Fails(text);
        Assert.Equal("test.conf", e.SourceName);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"test.conf:{line}:{column}: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData('\t', "\\t")]
    [InlineData('\u0001', "\\u0001")]
    [InlineData('\u001f', "\\u001F")]
    [InlineData('\r', "\\r")]
    [InlineData('\0', "\\u0000")]
    public void A_raw_control_character_in_a_quoted_string_is_refused_at_its_position(char control, string escape)
    {
        var e = Hocon.Fails($"a = 1\nb = \"x{control}y\"");

        Assert.Equal((2, 7), (e.Line, e.Column));
        Assert.Contains($"U+{(int)control:X4}", e.Message, StringComparison.Ordinal);
        Assert.Contains(escape, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_raw_control_character_in_a_quoted_key_or_substitution_path_is_refused()
    {
        var inKey = Hocon.Fails("\"a\tb\" = 1");
        var inPath = Hocon.Fails("x = ${\"a\tb\"}");

        Assert.Equal((1, 3), (inKey.Line, inKey.Column));
        Assert.Equal((1, 9), (inPath.Line, inPath.Column));
    }

    [Fact]
    public void Escaped_control_characters_and_raw_ones_in_triple_quotes_are_accepted()
    {
        var c = Hocon.Parse("a = \"x\\ty\\u0001\"\nb = \"\"\"x\ty\u0001\"\"\"");
        Assert.Equal("x\ty\u0001", c.GetString("a"));
        Assert.Equal("x\ty\u0001", c.GetString("b"));
    }

    [Fact]
    public void Unclosed_brace_message_points_at_the_opening_brace()
    {
        var e = Hocon.Fails("x = 1\ndb {\n  path = /x\n");
        Assert.Contains("opened at line 2, column 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_an_error_naming_it()
    {
        var e = Assert.Throws<HoconException>(() => HoconParser.ParseFile("/nonexistent/dir/node.conf"));
        Assert.Contains("/nonexistent/dir/node.conf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Absurdly_deep_nesting_is_refused_instead_of_overflowing_the_stack()
    {
        var e = Hocon.Fails("a = " + new string('[', 100_000));
        Assert.Contains("nested more than", e.Message, StringComparison.Ordinal);
        Assert.Equal(5, Hocon.Parse("a = " + new string('[', 150) + "5" + new string(']', 150) + "\nb { c { d { e = 5 } } }").GetInt("b.c.d.e"));
    }
}

/// <summary>Inputs the fuzzer (tests/Corrosion.Hocon.Tests/Fuzzing) or its review found to break the parser, kept as tests.</summary>
public class FuzzRegressionTests
{
    [Fact]
    public void A_long_substitution_chain_is_refused_instead_of_overflowing_the_stack()
    {
        // Found by the fuzzer (DeepNesting, seed 20261206): k0 = ${k1}, k1 = ${k2}, ... overflowed a 1 MiB stack.
        var text = string.Concat(Enumerable.Range(0, 5_000).Select(i => $"k{i} = ${{k{i + 1}}}\n")) + "k5000 = 1";
        var thread = new Thread(() => Hocon.Fails(text), 1 << 20);

        thread.Start();
        thread.Join();

        var e = Hocon.Fails(text);
        Assert.Contains("substitutions nested more than 100 deep", e.Message, StringComparison.Ordinal);
        Assert.True(e.Line > 0);
    }

    [Fact]
    public void A_substitution_chain_within_the_limit_resolves()
    {
        var text = string.Concat(Enumerable.Range(0, 50).Select(i => $"k{i} = ${{k{i + 1}}}\n")) + "k50 = 7";
        Assert.Equal(7, Hocon.Parse(text).GetInt("k0"));
    }

    [Fact]
    public void A_dotted_key_deeper_than_the_nesting_limit_is_refused_at_the_key()
    {
        var e = Hocon.Fails("a = 1\n" + string.Join('.', Enumerable.Repeat("k", 100_000)) + " = 1");

        Assert.Equal((2, 1), (e.Line, e.Column));
        Assert.Contains("nested more than", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, Hocon.Parse(string.Join('.', Enumerable.Repeat("k", 150)) + " = 1").GetInt(string.Join('.', Enumerable.Repeat("k", 150))));
    }

    [Fact]
    public void Objects_nested_through_substitutions_beyond_the_limit_are_refused_with_a_position()
    {
        var text = "x0 = 1\n" + string.Concat(Enumerable.Range(1, 400).Select(i => $"x{i} {{ y = ${{x{i - 1}}} }}\n"));
        var e = Hocon.Fails(text);

        Assert.True(e.Line > 0, e.Message);
    }
}
