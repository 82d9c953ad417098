namespace Corrosion.Agent.Storage;

/// <summary>
/// How much a query may answer: past either bound reading its rows throws <see cref="SqlException"/>.
/// A time limit alone does not bound an answer: one second of an endless recursive query makes
/// millions of rows, which took the HTTP API 20 s to stream on a loaded machine (fuzz input #2361).
/// </summary>
/// <param name="MaxRows">Most rows; 0 for no limit.</param>
/// <param name="MaxBytes">Most bytes of values (text and blob bytes, 8 per number); 0 for no limit.</param>
public readonly record struct QueryOutputLimit(long MaxRows, long MaxBytes)
{
    /// <summary>No bound.</summary>
    public static QueryOutputLimit None => default;
}
