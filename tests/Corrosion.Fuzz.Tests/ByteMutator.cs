using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Fuzz.Tests;

/// <summary>Byte-level mutations of a valid input, as coverage-free fuzzers make them: flips, interesting bytes, cuts, splices.</summary>
internal static class ByteMutator
{
    // Bytes that change structure: JSON punctuation, escapes, NUL, invalid UTF-8 leads, extremes.
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xC0, 0xC3, 0xED, 0xF0, 0xF4, 0xF8, 0xFE, 0xFF, (byte)'"', (byte)'\\', (byte)'[', (byte)']', (byte)'{', (byte)'}', (byte)',', (byte)':', (byte)'0', (byte)'-', (byte)'e', (byte)'\n'];

    private sealed record Edit(int Kind, int Position, int Value, int Length);

    public static Gen<byte[]> Mutate(byte[] original) =>
        from count in Gen.Frequency((6, Gen.Constant(1)), (3, Gen.Choose(2, 4)), (1, Gen.Choose(5, 16)))
        from edits in Gen.ArrayOf(
            from kind in Gen.Choose(0, 8)
            from position in Gen.Choose(0, int.MaxValue - 1)
            from value in Gen.Choose(0, 255)
            from length in Gen.Frequency((8, Gen.Choose(1, 8)), (2, Gen.Choose(9, 4096)))
            select new Edit(kind, position, value, length), count)
        select Apply(original, edits);

    private static byte[] Apply(byte[] original, Edit[] edits)
    {
        var data = new List<byte>(original);
        foreach (var edit in edits)
        {
            var at = data.Count == 0 ? 0 : edit.Position % data.Count;
            switch (edit.Kind)
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << (edit.Value % 8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = Interesting[edit.Value % Interesting.Length];
                    break;
                case 2:
                    data.Insert(at, Interesting[edit.Value % Interesting.Length]);
                    break;
                case 3 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(edit.Length, data.Count - at));
                    break;
                case 4:
                    // Truncate.
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 5 when data.Count > 0:
                    // Duplicate a chunk in place.
                    var chunk = data.GetRange(at, Math.Min(edit.Length, data.Count - at));
                    data.InsertRange(at, chunk);
                    break;
                case 6 when data.Count > 0:
                    data[at] = (byte)edit.Value;
                    break;
                case 7:
                    data.InsertRange(at, Enumerable.Repeat((byte)edit.Value, Math.Min(edit.Length, 64)));
                    break;
                case 8 when data.Count >= 4:
                    // Overwrite a little-endian integer-sized window with an extreme value.
                    var window = Math.Min(at, data.Count - 4);
                    var extreme = (edit.Value % 4) switch { 0 => 0u, 1 => uint.MaxValue, 2 => 0x7FFFFFFFu, _ => 0x80000000u };
                    for (var i = 0; i < 4; i++)
                    {
                        data[window + i] = (byte)(extreme >> (8 * i));
                    }

                    break;
            }
        }

        return [.. data];
    }
}
