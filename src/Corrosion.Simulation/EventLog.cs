using System.Security.Cryptography;
using System.Text;

namespace Corrosion.Simulation;

/// <summary>
/// The history of a simulation as text lines folded into a running SHA-256, so two runs can be compared
/// by hash. Lines are kept only when <see cref="KeepLines"/> is set (large runs would hold millions).
/// </summary>
public sealed class EventLog : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<string> _lines = [];

    /// <summary>Whether lines are kept in <see cref="Lines"/>.</summary>
    public bool KeepLines { get; set; } = true;

    /// <summary>Lines kept so far.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Lines recorded (kept or not).</summary>
    public long Count { get; private set; }

    /// <summary>Records a line.</summary>
    public void Record(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        Count++;
        _hash.AppendData(Encoding.UTF8.GetBytes(line));
        _hash.AppendData("\n"u8);
        if (KeepLines)
        {
            _lines.Add(line);
        }
    }

    /// <summary>Hex SHA-256 of everything recorded so far.</summary>
    public string Hash() => Convert.ToHexString(_hash.GetCurrentHash());

    /// <inheritdoc />
    public void Dispose() => _hash.Dispose();
}
