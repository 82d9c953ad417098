using Corrosion.Agent.Admin;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Tests.Admin;

public sealed class LogLevelsTests
{
    [Fact]
    public void The_longest_matching_category_prefix_decides()
    {
        var levels = new LogLevels("warn,Corrosion.Agent=info,Corrosion.Agent.Membership=debug");

        Assert.True(levels.IsEnabled("Corrosion.Agent.Membership.MembershipActor", LogLevel.Debug));
        Assert.False(levels.IsEnabled("Corrosion.Agent.Storage.CrdtStore", LogLevel.Debug));
        Assert.True(levels.IsEnabled("Corrosion.Agent.Storage.CrdtStore", LogLevel.Information));
        Assert.False(levels.IsEnabled("Microsoft.AspNetCore", LogLevel.Information));
    }

    [Fact]
    public void Asking_whether_a_level_is_enabled_allocates_nothing()
    {
        // ASP.NET Core asks several times per request; the answer must not cost garbage.
        var levels = new LogLevels("warn,Corrosion.Agent=info,Microsoft=warning");
        levels.IsEnabled("Microsoft.AspNetCore.Server.Kestrel.Connections", LogLevel.Debug);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            levels.IsEnabled("Microsoft.AspNetCore.Server.Kestrel.Connections", LogLevel.Debug);
            levels.IsEnabled("Corrosion.Agent.Storage.CrdtStore", LogLevel.Information);
            levels.IsEnabled("Other", LogLevel.Information);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_bad_directive_is_refused_and_changes_nothing()
    {
        var levels = new LogLevels("info");

        Assert.Throws<ArgumentException>(() => levels.Set("debug,Corrosion=loud"));

        Assert.Equal("info", levels.Current);
        Assert.False(levels.IsEnabled("Corrosion", LogLevel.Debug));
    }

    [Fact]
    public void Reset_goes_back_to_the_start_up_directives()
    {
        var levels = new LogLevels("info,Microsoft=warning");
        levels.Set("trace");

        levels.Reset();

        Assert.Equal("info,Microsoft=warning", levels.Current);
        Assert.False(levels.IsEnabled("Microsoft.Hosting", LogLevel.Information));
    }
}
