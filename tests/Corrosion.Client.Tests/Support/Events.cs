namespace Corrosion.Client.Tests.Support;

/// <summary>Reads a bounded number of items from a stream, with a deadline.</summary>
public static class Events
{
    public static async Task<List<T>> TakeAsync<T>(IAsyncEnumerable<T> source, int count, TimeSpan? deadline = null)
    {
        using var cts = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(20));
        var items = new List<T>();
        if (count == 0)
        {
            return items;
        }

        try
        {
            await foreach (var item in source.WithCancellation(cts.Token))
            {
                items.Add(item);
                if (items.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"got {items.Count} of {count} items before the deadline: {string.Join(", ", items)}");
        }

        return items;
    }
}
