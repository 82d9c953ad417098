using Microsoft.Extensions.Logging;

namespace Corrosion.Hocon.Tests;

public class IncludeTests
{
    [Fact]
    public void Include_is_relative_to_the_including_file()
    {
        using var dir = new TempDirectory();
        dir.Write("conf/base.conf", "a = 1\nb = 2");
        var main = dir.Write("conf/main.conf", "include \"base.conf\"\nb = 3");
        var c = HoconParser.ParseFile(main);
        Assert.Equal(1, c.GetInt("a"));
        Assert.Equal(3, c.GetInt("b"));
    }

    [Fact]
    public void Later_fields_of_the_included_file_override_earlier_fields_of_the_includer()
    {
        using var dir = new TempDirectory();
        dir.Write("inc.conf", "b = included");
        var main = dir.Write("main.conf", "b = before\ninclude \"inc.conf\"");
        Assert.Equal("included", HoconParser.ParseFile(main).GetString("b"));
    }

    [Fact]
    public void Nested_includes_resolve_relative_to_each_file()
    {
        using var dir = new TempDirectory();
        dir.Write("x/y/leaf.conf", "leaf = true");
        dir.Write("x/mid.conf", "include \"y/leaf.conf\"\nmid = true");
        var main = dir.Write("main.conf", "include \"x/mid.conf\"");
        var c = HoconParser.ParseFile(main);
        Assert.True(c.GetBool("leaf"));
        Assert.True(c.GetBool("mid"));
    }

    [Fact]
    public void Include_inside_an_object_nests_the_file_and_fixes_up_its_substitutions()
    {
        using var dir = new TempDirectory();
        dir.Write("foo.conf", "x = 10\ny = ${x}");
        var main = dir.Write("main.conf", "a { include \"foo.conf\" }\nx = root");
        var c = HoconParser.ParseFile(main);
        Assert.Equal(10, c.GetInt("a.x"));
        Assert.Equal(10, c.GetInt("a.y"));
    }

    [Fact]
    public void Substitution_in_an_included_file_falls_back_to_the_root_path()
    {
        using var dir = new TempDirectory();
        dir.Write("foo.conf", "port = ${base-port}\nlist += x");
        var main = dir.Write("main.conf", "base-port = 8080\na { list = [w] }\na { include \"foo.conf\" }");
        var c = HoconParser.ParseFile(main);
        Assert.Equal(8080, c.GetInt("a.port"));
        Assert.Equal(["w", "x"], c.GetStringList("a.list"));
    }

    [Fact]
    public void Configuration_file_source_resolves_includes_relative_to_the_file()
    {
        using var dir = new TempDirectory();
        dir.Write("etc/common.conf", "db.path = /data/state.db");
        var main = dir.Write("etc/node.conf", "include \"common.conf\"\napi.addr = \"127.0.0.1:8080\"");
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddHoconFile(main).Build();
        Assert.Equal("/data/state.db", config["db:path"]);
        Assert.Equal("127.0.0.1:8080", config["api:addr"]);
    }

    [Fact]
    public void Include_file_form_and_name_without_extension()
    {
        using var dir = new TempDirectory();
        dir.Write("one.conf", "one = 1");
        dir.Write("two.conf", "two = 2");
        var main = dir.Write("main.conf", "include file(\"one.conf\")\ninclude \"two\"");
        var c = HoconParser.ParseFile(main);
        Assert.Equal(1, c.GetInt("one"));
        Assert.Equal(2, c.GetInt("two"));
    }

    [Fact]
    public void Include_of_a_missing_file_is_ignored_with_a_warning()
    {
        using var dir = new TempDirectory();
        var main = dir.Write("main.conf", "include \"missing.conf\"\na = 1");
        var logger = new ListLogger();
        var c = HoconParser.ParseFile(main, new HoconParseOptions { Logger = logger });
        Assert.Equal(1, c.GetInt("a"));
        var warning = Assert.Single(logger.Messages);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("missing.conf", warning.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Required_include_of_a_missing_file_is_an_error_at_the_include()
    {
        using var dir = new TempDirectory();
        var main = dir.Write("main.conf", "a = 1\ninclude required(\"missing.conf\")");
        var e = Assert.Throws<HoconException>(() => HoconParser.ParseFile(main));
        Assert.Equal(2, e.Line);
        Assert.Equal(1, e.Column);
        Assert.Contains("missing.conf", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("main.conf", e.SourceName, StringComparison.Ordinal);
    }

    [Fact]
    public void Required_file_form_of_an_existing_file_is_included()
    {
        using var dir = new TempDirectory();
        dir.Write("r.conf", "r = yes");
        var main = dir.Write("main.conf", "include required(file(\"r.conf\"))");
        Assert.True(HoconParser.ParseFile(main).GetBool("r"));
    }

    [Fact]
    public void Include_cycle_is_an_error()
    {
        using var dir = new TempDirectory();
        dir.Write("a.conf", "include \"b.conf\"\na = 1");
        dir.Write("b.conf", "x = 1\ninclude \"a.conf\"");
        var e = Assert.Throws<HoconException>(() => HoconParser.ParseFile(Path.Combine(dir.Path, "a.conf")));
        Assert.Contains("include cycle", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("b.conf", e.SourceName, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Errors_in_included_files_name_the_included_file()
    {
        using var dir = new TempDirectory();
        dir.Write("bad.conf", "ok = 1\nbroken = [1, 2");
        var main = dir.Write("main.conf", "include \"bad.conf\"");
        var e = Assert.Throws<HoconException>(() => HoconParser.ParseFile(main));
        Assert.EndsWith("bad.conf", e.SourceName, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Include_from_a_string_uses_the_base_directory()
    {
        using var dir = new TempDirectory();
        dir.Write("inc.conf", "v = 5");
        var c = HoconParser.Parse("include \"inc.conf\"", "inline", new HoconParseOptions { BaseDirectory = dir.Path });
        Assert.Equal(5, c.GetInt("v"));
    }

    [Fact]
    public void A_key_named_include_is_still_a_key()
    {
        Assert.Equal(1, Hocon.Parse("include = 1").GetInt("include"));
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add((logLevel, formatter(state, exception)));
    }
}
