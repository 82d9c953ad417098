namespace Corrosion.Client.Akka;

/// <summary>Where and how a <see cref="CorrosionAkkaClient"/> reaches nodes.</summary>
public sealed class CorrosionAkkaClientOptions
{
    /// <summary>
    /// Nodes to talk to, in order of preference: Akka.Remote addresses of nodes with
    /// <c>akka_api.enabled</c>, e.g. <c>akka.tcp://corrosion@127.0.0.1:8790</c> (the gateway's path
    /// <c>/user/corrosion/client</c> is added when missing). After a connection is lost the client moves
    /// to the next.
    /// </summary>
    public IList<string> Nodes { get; } = [];

    /// <summary>A bearer token of the nodes' <c>api.authz</c>, sent with every request; null when the nodes need none.</summary>
    public string? Token { get; set; }

    /// <summary>How long to wait for a node to be found, and for a request's first answer.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a subscription keeps trying to re-attach after a lost connection or a cut-off before it fails.</summary>
    public TimeSpan ResumeTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
