namespace Corrosion.Agent.Tests.Node;

/// <summary>
/// The keys of reference.conf that take any text, so no value is junk to them; each with why. Every other key refuses
/// junk naming the file, line and key: checked in-process (ValueShapeTests) and on the NativeAOT executable
/// (Corrosion.Native.Tests links this file). A key added to reference.conf is either refused with junk or listed here.
/// </summary>
internal static class FreeTextKeys
{
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["db.path"] = "a file path; the directory is created at start",
        ["subscriptions.path"] = "a directory path; created at start",
        ["admin.path"] = "a socket path (its length is checked)",
        ["gossip.tls.ca_file"] = "a file path, read when TLS starts",
        ["telemetry.otlp.service_name"] = "any name",
        ["embedded.http_api"] = "read by the hosting extension (AddCorrosion), not by corrosion agent",
        ["embedded.stop_host_on_failure"] = "read by the hosting extension (AddCorrosion), not by corrosion agent",
    };
}
