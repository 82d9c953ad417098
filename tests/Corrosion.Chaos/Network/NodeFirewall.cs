using System.Globalization;
using System.Text;

namespace Corrosion.Chaos.Network;

/// <summary>
/// Renders a node's <see cref="LinkFaults"/> as one nftables script for the node's own namespace.
/// The script replaces the table atomically (<c>nft -f</c> applies a file as one transaction), so a
/// fault change never leaves a half-written rule set. This kernel has no netem; nftables' random
/// number generator gives loss (<c>numgen random mod 100 &lt; N drop</c>) and its <c>dup</c>
/// statement gives duplication. Rules match only the bridge link (<c>eth0</c>), so the API on the
/// namespace's loopback, which the workload's clients use, is never faulted.
/// </summary>
public static class NodeFirewall
{
    /// <summary>The table's name; it lives only inside the chaos namespaces.</summary>
    public const string Table = "corrosion_chaos";

    /// <summary>The node's link to the bridge, inside its namespace.</summary>
    public const string Link = "eth0";

    public static string Render(LinkFaults faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        var s = new StringBuilder();
        // Creating then deleting makes the delete valid whether or not the table exists.
        s.AppendLine(CultureInfo.InvariantCulture, $"table ip {Table}");
        s.AppendLine(CultureInfo.InvariantCulture, $"delete table ip {Table}");
        s.AppendLine(CultureInfo.InvariantCulture, $"table ip {Table} {{");
        s.AppendLine("  set blocked {");
        s.AppendLine("    type ipv4_addr");
        if (faults.Blocked.Count > 0)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"    elements = {{ {string.Join(", ", faults.Blocked)} }}");
        }

        s.AppendLine("  }");
        s.AppendLine("  chain input {");
        s.AppendLine("    type filter hook input priority 0; policy accept;");
        s.AppendLine(CultureInfo.InvariantCulture, $"    iifname \"{Link}\" ip saddr @blocked drop");
        if (faults.LossPercent > 0)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"    iifname \"{Link}\" numgen random mod 100 < {Percent(faults.LossPercent)} drop");
        }

        s.AppendLine("  }");
        s.AppendLine("  chain output {");
        s.AppendLine("    type filter hook output priority 0; policy accept;");
        s.AppendLine(CultureInfo.InvariantCulture, $"    oifname \"{Link}\" ip daddr @blocked drop");
        if (faults.DuplicatePercent > 0)
        {
            // The copy goes to the packet's own destination on the same link: an exact duplicate.
            s.AppendLine(CultureInfo.InvariantCulture, $"    oifname \"{Link}\" numgen random mod 100 < {Percent(faults.DuplicatePercent)} dup to ip daddr device \"{Link}\"");
        }

        s.AppendLine("  }");
        s.AppendLine("}");
        return s.ToString();
    }

    private static int Percent(int value) =>
        value is >= 0 and <= 100 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "a percentage is 0..100");
}
