namespace Corrosion.Client.Akka.Protocol;

/// <summary>The answer to <see cref="GetMembers"/>: the answering node first.</summary>
/// <param name="Members">The members.</param>
public sealed record MembersResult(IReadOnlyList<ClientMember> Members) : IClientMessage;
