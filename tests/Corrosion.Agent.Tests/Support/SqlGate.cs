using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Support;

/// <summary>
/// A SQL function, <c>test_gate()</c>, that returns 1 at once while the gate is open and waits while it is
/// shut: a query that calls it on a row is as slow as the test wants it, whatever the machine's speed.
/// </summary>
internal sealed class SqlGate : IDisposable
{
    public const string Function = "test_gate()";

    /// <summary>How long a call waits at a shut gate before it fails the query (a test that forgot to open it).</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly ManualResetEventSlim _open = new(initialState: true);
    private readonly SemaphoreSlim _waiting = new(0);

    /// <summary>Registers the function on a connection (for <c>StoreOptions.ReadConnectionOpened</c>).</summary>
    public void Register(SqliteConnection connection) =>
        connection.CreateFunction("test_gate", () =>
        {
            if (_open.IsSet)
            {
                return 1L;
            }

            _waiting.Release();
            return _open.Wait(Bound) ? 1L : throw new TimeoutException("test_gate() stayed shut; the test never opened it");
        }, isDeterministic: false);

    public void Shut() => _open.Reset();

    public void Open() => _open.Set();

    /// <summary>Waits until a query is held at the shut gate.</summary>
    public async Task HoldingAsync(TimeSpan timeout)
    {
        if (!await _waiting.WaitAsync(timeout))
        {
            throw new TimeoutException("no query reached the shut gate");
        }
    }

    public void Dispose()
    {
        _open.Set();
        _open.Dispose();
        _waiting.Dispose();
    }
}
