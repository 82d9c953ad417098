using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Client.Akka.Tests;

/// <summary>The protocol's serializer, in one process: two actor systems as a client and a node would be.</summary>
public sealed class ClientProtocolSerializerTests : IAsyncLifetime
{
    private ActorSystem _system = null!;
    private ClientProtocolSerializer _serializer = null!;

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("serializer-tests", CorrosionAkkaClient.ActorSystemConfig());
        _serializer = (ClientProtocolSerializer)_system.Serialization.FindSerializerFor(new GetHealth(null));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    public static TheoryData<IClientMessage> Messages() =>
    [
        new Execute("t", [new SqlStatement("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
            [ClientValue.Of(1L), ClientValue.Of(2.5), ClientValue.Of("x"), ClientValue.Of([1, 2, 3]), ClientValue.Null],
            new Dictionary<string, ClientValue> { [":a"] = ClientValue.Of(double.NaN) })], 1.5),
        new TransactionCommitted([1, 2], 7, "actor", 0.01),
        new TransactionCommitted([0], null, "actor", 0),
        new ClientError(ClientErrorCode.ChangeIdExpired, "gone", 3, 42),
        new QueryStarted(["a", "b"]),
        new QueryRows(3, [new ClientRow(1, [ClientValue.Of(long.MaxValue), ClientValue.Of(double.NegativeInfinity)])]),
        new QueryEnd(0.5),
        new StreamAck(9),
        new CancelStream(),
        new Subscribed("q", "h", ["id"]),
        new SubscriptionEndOfQuery("q", 2, 0.1, 5),
        new SubscriptionChanges("q", 3, [new ClientChange(ClientChangeKind.Delete, 4, [ClientValue.Of("gone")], 6)]),
        new MembersResult([new ClientMember("id", "127.0.0.1:1", "alive", 2, null, true)]),
        new HealthResult("id", 1, 0, 0, 0),
        new TableUpdates("machines", 1, [new ClientKeyUpdate(true, [ClientValue.Of("m-1")])]),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_protocol_message_round_trips_under_its_own_manifest(IClientMessage message)
    {
        var manifest = _serializer.Manifest(message);
        var bytes = _serializer.ToBinary(message);

        var back = _serializer.FromBinary(bytes, manifest);

        Assert.Equal(message.GetType().Name, manifest);
        Assert.Equal(Json(message), Json(back));
    }

    [Fact]
    public void Actor_references_travel_as_paths_and_resolve_on_arrival()
    {
        var actor = _system.ActorOf(Props.Empty, "subscriber");
        var message = new Subscribe(null, new SqlStatement("SELECT 1"), actor, SkipRows: true);

        var back = (Subscribe)_serializer.FromBinary(_serializer.ToBinary(message), _serializer.Manifest(message));

        Assert.Equal(actor, back.Subscriber);
        Assert.True(back.SkipRows);
    }

    [Fact]
    public void An_unknown_manifest_is_refused_without_deserializing()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes("""{"$type":"System.IO.FileInfo, System.IO.FileSystem","fileName":"/etc/passwd"}""");

        var error = Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes, "System.IO.FileInfo"));

        Assert.Contains("unknown manifest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_type_outside_the_protocol_has_no_manifest()
    {
        Assert.Throws<SerializationException>(() => _serializer.Manifest("not a protocol message"));
    }

    [Fact]
    public void Strict_mode_refuses_to_serialize_an_unregistered_type_and_to_read_newtonsoft_payloads()
    {
        var serialization = _system.Serialization;

        var unregistered = new Unregistered("x");

        Assert.ThrowsAny<Exception>(() => { _ = serialization.Serialize(unregistered); });
        // Bytes that claim Akka's Newtonsoft serializer (id 1) meet the refusing one.
        Assert.Throws<SerializationException>(() => { _ = serialization.Deserialize("""{"$type":"System.IO.FileInfo, System.IO.FileSystem"}"""u8.ToArray(), 1, typeof(object)); });
    }

    [Fact]
    public async Task Without_strict_mode_the_protocol_is_still_bound_to_its_serializer()
    {
        using var loose = ActorSystem.Create("loose", ClientProtocolConfig.Serialization.WithFallback(ConfigurationFactory.Default()));
        try
        {
            var serializer = loose.Serialization.FindSerializerFor(new StreamAck(1));

            Assert.IsType<ClientProtocolSerializer>(serializer);
        }
        finally
        {
            await loose.Terminate();
        }
    }

    private static string Json(object value) => System.Text.Json.JsonSerializer.Serialize(value, value.GetType(), JsonOptions);

    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public sealed record Unregistered(string Value);
}
