namespace Corrosion.Cluster.Tests.Deploy;

/// <summary>
/// A fact that needs an external program (installed by .ci/run from Debian); where the program is
/// missing it reports SKIPPED with the reason instead of failing.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string program, string debianPackage)
    {
        if (Find(program) is null)
        {
            Skip = $"{program} is not installed (Debian package {debianPackage}; .ci/run installs it)";
        }
    }

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
