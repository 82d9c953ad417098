namespace Corrosion.Hocon.Tests;

public class SubstitutionTests
{
    [Fact]
    public void Substitution_copies_a_value_from_a_path()
    {
        var c = Hocon.Parse("a.b = 5\nc = ${a.b}\nd = ${a}");
        Assert.Equal(5, c.GetInt("c"));
        Assert.Equal(5, c.GetInt("d.b"));
    }

    [Fact]
    public void Substitutions_see_the_final_value_not_the_value_at_that_point()
    {
        // HOCON.md: bar.baz resolves to 43.
        var c = Hocon.Parse("bar : { foo : 42, baz : ${bar.foo} }\nbar : { foo : 43 }");
        Assert.Equal(43, c.GetInt("bar.baz"));
    }

    [Fact]
    public void Mutually_referring_objects_resolve()
    {
        // HOCON.md example: bar.a is 4 and foo.c is 3.
        var c = Hocon.Parse("bar : { a : ${foo.d}, b : 1 }\nbar.b = 3\nfoo : { c : ${bar.b}, d : 2 }\nfoo.d = 4");
        Assert.Equal(4, c.GetInt("bar.a"));
        Assert.Equal(3, c.GetInt("foo.c"));
    }

    [Fact]
    public void Substitution_in_a_string_concatenation()
    {
        var c = Hocon.Parse("host = example.com\nurl = \"http://\"${host}\":8080/\"");
        Assert.Equal("http://example.com:8080/", c.GetString("url"));
    }

    [Fact]
    public void Self_reference_appends_to_a_string()
    {
        var c = Hocon.Parse("path = \"/bin\"\npath = ${path}\":/extra\"");
        Assert.Equal("/bin:/extra", c.GetString("path"));
    }

    [Fact]
    public void Self_reference_appends_to_an_array()
    {
        var c = Hocon.Parse("a = [1]\na = ${a} [2]\na = ${a} [3]");
        Assert.Equal(["1", "2", "3"], c.GetStringList("a"));
    }

    [Fact]
    public void Self_reference_inside_a_nested_object()
    {
        var c = Hocon.Parse("x { list = [a] }\nx { list = ${x.list} [b] }");
        Assert.Equal(["a", "b"], c.GetStringList("x.list"));
    }

    [Fact]
    public void Self_reference_into_the_field_sees_the_value_below()
    {
        // HOCON.md: foo ends up as { c : 1, a : 2 }.
        var c = Hocon.Parse("foo : { a : { c : 1 } }\nfoo : ${foo.a}\nfoo : { a : 2 }");
        Assert.Equal(1, c.GetInt("foo.c"));
        Assert.Equal(2, c.GetInt("foo.a"));
    }

    [Fact]
    public void Later_definitions_see_the_self_referenced_result()
    {
        var c = Hocon.Parse("a = 1\nb = ${a}\na = ${a}\" 2\"");
        Assert.Equal("1 2", c.GetString("b"));
    }

    [Fact]
    public void Plus_equals_works_inside_objects_and_with_earlier_values()
    {
        var c = Hocon.Parse("x { l = [1] }\nx { l += 2 }\nx.l += 3");
        Assert.Equal(["1", "2", "3"], c.GetStringList("x.l"));
    }

    [Fact]
    public void Object_substitution_merges_with_a_literal_object()
    {
        var c = Hocon.Parse("generic { size = 10, name = generic }\neast = ${generic} { name = east }");
        Assert.Equal(10, c.GetInt("east.size"));
        Assert.Equal("east", c.GetString("east.name"));
        Assert.Equal("generic", c.GetString("generic.name"));
    }

    [Fact]
    public void Optional_substitution_that_finds_nothing_removes_the_field()
    {
        var c = Hocon.Parse("a = 1\na = ${?nothing}\nb = ${?nothing}");
        Assert.Equal(1, c.GetInt("a"));
        Assert.False(c.ContainsKey("b"));
    }

    [Fact]
    public void Optional_substitution_in_a_concatenation_is_empty()
    {
        var c = Hocon.Parse("a = foo${?nothing}bar");
        Assert.Equal("foobar", c.GetString("a"));
    }

    [Fact]
    public void Substitutions_fall_back_to_environment_variables()
    {
        var env = new Dictionary<string, string> { ["HOCON_TEST_HOME"] = "/home/x", ["OPT"] = "o" };
        var c = Hocon.Parse("home = ${HOCON_TEST_HOME}\nopt = ${?OPT}\ndef = 1\ndef = ${?NOT_SET}", env);
        Assert.Equal("/home/x", c.GetString("home"));
        Assert.Equal("o", c.GetString("opt"));
        Assert.Equal(1, c.GetInt("def"));
    }

    [Fact]
    public void Config_values_win_over_environment_variables()
    {
        var c = Hocon.Parse("HOME = mine\nh = ${HOME}", new Dictionary<string, string> { ["HOME"] = "theirs" });
        Assert.Equal("mine", c.GetString("h"));
    }

    [Fact]
    public void Real_environment_is_used_by_default()
    {
        var name = "HOCON_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            var c = HoconParser.Parse($"a = ${{{name}}}");
            Assert.Equal("from-env", c.GetString("a"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Missing_required_substitution_names_the_path_and_position()
    {
        var e = Hocon.Fails("a = 1\nb = ${x.y}");
        Assert.Equal(2, e.Line);
        Assert.Equal(5, e.Column);
        Assert.Contains("x.y", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.conf:2:5:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Substitution_cycle_is_an_error_not_a_hang()
    {
        var e = Hocon.Fails("a = ${b}\nb = ${c}\nc = ${a}");
        Assert.Contains("cycle", e.Message, StringComparison.Ordinal);
        Assert.Equal("test.conf", e.SourceName);
    }

    [Fact]
    public void Self_reference_with_no_earlier_value_is_an_error()
    {
        var e = Hocon.Fails("a = ${a}");
        Assert.Contains("${a}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Object_that_contains_itself_is_a_cycle()
    {
        var e = Hocon.Fails("a { x = 1 }\na.b = ${a}");
        Assert.Contains("cycle", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Substitution_through_an_object_under_construction_is_not_a_cycle()
    {
        var c = Hocon.Parse("x = ${y}\ny { p = 1, q = ${x.p} }");
        Assert.Equal(1, c.GetInt("x.q"));
        Assert.Equal(1, c.GetInt("y.q"));
    }

    [Fact]
    public void Substitutions_inside_arrays_of_objects_resolve()
    {
        var c = Hocon.Parse("port = 8080\nservers = [ { port = ${port} }, { port = 9 } ]");
        Assert.Equal("8080", ((HoconObject)c.GetArray("servers")[0]).GetString("port"));
    }

    [Fact]
    public void Quoted_path_segments_in_substitutions()
    {
        var c = Hocon.Parse("\"a.b\" { c = 7 }\nd = ${\"a.b\".c}");
        Assert.Equal(7, c.GetInt("d"));
    }

    [Fact]
    public void A_substitution_in_a_value_replaced_later_is_not_resolved()
    {
        // HOCON.md: "foo : ${does-not-exist}, foo : 42" is no error.
        var c = Hocon.Parse("foo : ${does-not-exist}\nfoo : 42");
        Assert.Equal(42, c.GetInt("foo"));
    }

    [Fact]
    public void A_replaced_substitution_inside_an_object_field_is_not_resolved()
    {
        var c = Hocon.Parse("db { path = ${nowhere}, size = 1 }\ndb.path = \"/x\"\ndb { size = 2 }");
        Assert.Equal("/x", c.GetString("db.path"));
        Assert.Equal(2, c.GetInt("db.size"));
    }

    [Fact]
    public void A_scalar_set_above_a_path_drops_its_unresolvable_substitutions()
    {
        var c = Hocon.Parse("a { b = ${nowhere} }\na = 5");
        Assert.Equal(5, c.GetInt("a"));
    }

    [Fact]
    public void A_replaced_cycle_is_not_resolved()
    {
        var c = Hocon.Parse("a = ${b}\nb = ${a}\na = 1\nb = 2");
        Assert.Equal((1, 2), (c.GetInt("a"), c.GetInt("b")));
    }

    [Fact]
    public void A_replaced_field_of_concatenated_objects_is_not_resolved()
    {
        // Inside an array, "{...} ${y}" is one merged object.
        var c = Hocon.Parse("y { p = 3 }\nz = [ { p = ${nowhere}, q = 1 } ${y} ]");
        var merged = (HoconObject)c.GetArray("z")[0];
        Assert.Equal((3, 1), (merged.GetInt("p"), merged.GetInt("q")));
    }

    [Fact]
    public void An_object_that_merges_with_an_earlier_value_still_resolves_it()
    {
        // Objects merge, so the earlier value is not replaced and its substitution must resolve.
        var e = Hocon.Fails("a = { b = ${nowhere} }\na = { c = 1 }");
        Assert.Contains("${nowhere}", e.Message, StringComparison.Ordinal);
        Assert.Equal((1, 11), (e.Line, e.Column));
    }

    [Fact]
    public void A_substitution_kept_by_a_self_reference_is_still_resolved()
    {
        var e = Hocon.Fails("a = ${nowhere}\na = ${a} [2]");
        Assert.Contains("${nowhere}", e.Message, StringComparison.Ordinal);
    }
}
