namespace Corrosion.Client.Akka.Protocol;

/// <summary>A request to the node's client gateway (<c>/user/corrosion/client</c>).</summary>
public interface IClientRequest : IClientMessage
{
    /// <summary>
    /// A bearer token of the node's <c>api.authz</c>; required when the node configures tokens (then a
    /// request without a valid one gets <see cref="ClientError"/> of code <see cref="ClientErrorCode.Unauthorized"/>).
    /// </summary>
    string? Token { get; }
}
