namespace Corrosion.Client.Tests.Support;

/// <summary>Fails the first <c>failures</c> requests matching a predicate as if the node refused the connection.</summary>
public sealed class FlakyHandler(HttpMessageHandler inner, int failures, Func<HttpRequestMessage, bool>? matches = null) : DelegatingHandler(inner)
{
    private int _left = failures;

    public int Failed { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if ((matches is null || matches(request)) && Interlocked.Decrement(ref _left) >= 0)
        {
            Failed++;
            throw new HttpRequestException("Connection refused (fake)");
        }

        return base.SendAsync(request, cancellationToken);
    }
}
