using Corrosion.Agent.Node;

namespace Corrosion.Agent.Tests.Support;

/// <summary>Loads a node configuration file written from a test's text, as `corrosion agent --config` would.</summary>
internal static class NodeConfigFiles
{
    /// <summary>The error loading <paramref name="text"/> gives; <paramref name="file"/> is the path it was written to.</summary>
    public static ConfigurationException LoadFails(string text, out string file)
    {
        using var dir = new TempDirectory();
        var path = dir.File("node.conf");
        File.WriteAllText(path, text);
        file = path;
        return Assert.Throws<ConfigurationException>(() => NodeConfiguration.Load(path));
    }

    /// <summary>The options <paramref name="text"/> loads to.</summary>
    public static NodeOptions Loads(string text)
    {
        using var dir = new TempDirectory();
        var file = dir.File("node.conf");
        File.WriteAllText(file, text);
        return NodeConfiguration.Load(file);
    }
}
