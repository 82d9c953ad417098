namespace Corrosion.Bench;

/// <summary>A scratch directory for one measurement, deleted afterwards.</summary>
internal sealed class BenchDirectory : IDisposable
{
    public BenchDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "corrosion-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
