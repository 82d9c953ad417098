using System.Buffers.Binary;
using System.Text;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Packs a row of SQL values into a self-delimiting blob (for the subscription file and for row
/// keys): a varint count, then per value a kind byte and its payload.
/// </summary>
internal static class RowCodec
{
    /// <summary>
    /// Encodes <paramref name="values"/> (and an occurrence number after them) into one array of
    /// the exact length: a key is encoded once per changed row, so this allocates nothing else.
    /// </summary>
    public static byte[] Encode(IReadOnlyList<SqlValue> values, int? suffix = null)
    {
        var length = VarintLength((ulong)values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            length += 1 + v.Kind switch
            {
                SqlValueKind.Integer or SqlValueKind.Real => 8,
                SqlValueKind.Text => Prefixed(Encoding.UTF8.GetByteCount(v.AsText)),
                SqlValueKind.Blob => Prefixed(v.AsBlob.Length),
                _ => 0,
            };
        }

        if (suffix is { } n)
        {
            length += VarintLength((ulong)n);
        }

        var bytes = new byte[length];
        var span = bytes.AsSpan();
        var at = WriteVarint(span, (ulong)values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            span[at++] = (byte)v.Kind;
            switch (v.Kind)
            {
                case SqlValueKind.Integer:
                    BinaryPrimitives.WriteInt64LittleEndian(span[at..], v.AsInteger);
                    at += 8;
                    break;
                case SqlValueKind.Real:
                    BinaryPrimitives.WriteDoubleLittleEndian(span[at..], v.AsReal);
                    at += 8;
                    break;
                case SqlValueKind.Text:
                    var text = v.AsText;
                    at += WriteVarint(span[at..], (ulong)Encoding.UTF8.GetByteCount(text));
                    at += Encoding.UTF8.GetBytes(text, span[at..]);
                    break;
                case SqlValueKind.Blob:
                    var blob = v.AsBlob;
                    at += WriteVarint(span[at..], (ulong)blob.Length);
                    blob.CopyTo(span[at..]);
                    at += blob.Length;
                    break;
            }
        }

        if (suffix is { } s)
        {
            // An occurrence number after a key's values; the count prefix keeps it unambiguous.
            WriteVarint(span[at..], (ulong)s);
        }

        return bytes;
    }

    /// <summary>
    /// The encoding of <paramref name="encoded"/>'s values with the occurrence number
    /// <paramref name="suffix"/>: the same bytes with the number after them (what
    /// <c>Encode(Decode(encoded), suffix)</c> gives, without decoding).
    /// </summary>
    public static byte[] WithSuffix(byte[] encoded, int suffix)
    {
        var bytes = new byte[encoded.Length + VarintLength((ulong)suffix)];
        encoded.CopyTo(bytes, 0);
        WriteVarint(bytes.AsSpan(encoded.Length), (ulong)suffix);
        return bytes;
    }

    private static int Prefixed(int length) => VarintLength((ulong)length) + length;

    private static int VarintLength(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    public static SqlValue[] Decode(ReadOnlySpan<byte> data)
    {
        var at = 0;
        var count = (int)ReadVarint(data, ref at);
        var values = new SqlValue[count];
        for (var i = 0; i < count; i++)
        {
            var kind = (SqlValueKind)data[at++];
            switch (kind)
            {
                case SqlValueKind.Integer:
                    values[i] = SqlValue.FromInteger(BinaryPrimitives.ReadInt64LittleEndian(data[at..]));
                    at += 8;
                    break;
                case SqlValueKind.Real:
                    values[i] = SqlValue.FromReal(BinaryPrimitives.ReadDoubleLittleEndian(data[at..]));
                    at += 8;
                    break;
                case SqlValueKind.Text or SqlValueKind.Blob:
                    var length = (int)ReadVarint(data, ref at);
                    var bytes = data.Slice(at, length);
                    at += length;
                    values[i] = kind == SqlValueKind.Text ? SqlValue.FromText(Encoding.UTF8.GetString(bytes)) : SqlValue.FromBlob(bytes.ToArray());
                    break;
                default:
                    values[i] = SqlValue.Null;
                    break;
            }
        }

        return values;
    }

    private static int WriteVarint(Span<byte> bytes, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            bytes[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        bytes[n++] = (byte)value;
        return n;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        var shift = 0;
        while (true)
        {
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }

            shift += 7;
        }
    }
}
