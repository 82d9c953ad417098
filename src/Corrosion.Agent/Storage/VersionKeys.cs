using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Corrosion.Agent.Storage;

/// <summary>
/// The key lists of a local version as kept in its <c>__corro_versions</c> row (<c>keys</c>): per
/// table that has cells of the version, <c>[u16 name length][name, UTF-8][u32 key count][keys,
/// i64 each]</c>, big-endian. Keys are the clock keys (<c>t__corro_clock_rows.key</c>).
/// </summary>
internal static class VersionKeys
{
    /// <summary>Appends one table's list; nothing when <paramref name="keys"/> is empty.</summary>
    public static void Append(ArrayBufferWriter<byte> into, string table, IReadOnlyList<long> keys)
    {
        if (keys.Count == 0)
        {
            return;
        }

        var nameLength = Encoding.UTF8.GetByteCount(table);
        var span = into.GetSpan(2 + nameLength + 4 + 8 * keys.Count);
        BinaryPrimitives.WriteUInt16BigEndian(span, checked((ushort)nameLength));
        Encoding.UTF8.GetBytes(table, span[2..]);
        var at = 2 + nameLength;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)keys.Count);
        at += 4;
        foreach (var key in keys)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[at..], key);
            at += 8;
        }

        into.Advance(at);
    }

    /// <summary>The lists by table name (ordinal, as the store names its tables); a truncated tail is ignored.</summary>
    public static Dictionary<string, List<long>> Decode(ReadOnlySpan<byte> blob)
    {
        var tables = new Dictionary<string, List<long>>(StringComparer.OrdinalIgnoreCase);
        var at = 0;
        while (at + 2 <= blob.Length)
        {
            int nameLength = BinaryPrimitives.ReadUInt16BigEndian(blob[at..]);
            at += 2;
            if (at + nameLength + 4 > blob.Length)
            {
                break;
            }

            var name = Encoding.UTF8.GetString(blob.Slice(at, nameLength));
            at += nameLength;
            var count = (long)BinaryPrimitives.ReadUInt32BigEndian(blob[at..]);
            at += 4;
            if (!tables.TryGetValue(name, out var keys))
            {
                keys = new List<long>();
                tables[name] = keys;
            }

            for (long i = 0; i < count && at + 8 <= blob.Length; i++, at += 8)
            {
                keys.Add(BinaryPrimitives.ReadInt64BigEndian(blob[at..]));
            }
        }

        return tables;
    }
}
