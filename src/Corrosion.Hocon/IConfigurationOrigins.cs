namespace Corrosion.Hocon;

/// <summary>
/// A configuration provider that knows where each of its keys was written, so errors about a value can
/// name the file, line and column.
/// </summary>
public interface IConfigurationOrigins
{
    /// <summary>Where <paramref name="key"/> (a configuration key, <c>db:path</c>) was set, as <c>file:line:column</c>.</summary>
    bool TryGetOrigin(string key, out string origin);
}
