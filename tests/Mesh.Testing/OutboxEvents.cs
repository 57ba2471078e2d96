using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace Mesh.Testing;

/// <summary>
/// The contract events a service published through its outbox store (topic "{app}.events"), read once the outbox has
/// settled: the relay of the app's sidecar has taken and acknowledged every internal message so far, so every event
/// of a transaction that committed is on the topic and none of one that did not ever will be.
/// </summary>
public static class OutboxEvents
{
    /// <summary>
    /// The CloudEvents on <paramref name="appId"/>'s events topic once its outbox settled, oldest first. The outbox
    /// delivers at least once: a copy (a relay that was stopped after publishing) shares the CloudEvent id of the
    /// event, and is listed once, as consumers see it.
    /// </summary>
    public static async Task<List<JsonObject>> SettledAsync(TestMesh mesh, string appId, TimeSpan? timeout = null)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(mesh.Redis.ConnectionString);
        var database = connection.GetDatabase();
        var topic = $"{appId}.events";
        RedisKey internalTopic = $"{appId}{topic}outbox";
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (await database.KeyExistsAsync(internalTopic) && !await SettledAsync(database, internalTopic, appId))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the outbox of {appId} still relays messages of {internalTopic}");
            }

            await Task.Delay(100);
        }

        return [.. (await database.StreamRangeAsync(topic)).Select(e => (JsonObject)JsonNode.Parse((string)e["data"]!)!).DistinctBy(e => e["id"]?.GetValue<string>())];
    }

    /// <summary>The events of <paramref name="type"/> (a message's full proto name) whose data satisfies <paramref name="where"/>.</summary>
    public static List<JsonObject> Of(this IEnumerable<JsonObject> events, string type, Func<JsonNode, bool>? where = null) =>
        [.. events.Where(e => e["type"]?.GetValue<string>() == type && (where is null || where(e["data"]!)))];

    private static async Task<bool> SettledAsync(IDatabase database, RedisKey internalTopic, string group)
    {
        var last = (await database.StreamInfoAsync(internalTopic)).LastGeneratedId;
        var relay = (await database.StreamGroupInfoAsync(internalTopic)).FirstOrDefault(g => g.Name == group);
        return relay.Name is not null && relay.PendingMessageCount == 0 && relay.LastDeliveredId == last;
    }
}
