using StackExchange.Redis;

namespace Mesh.Testing;

/// <summary>What the subscribers of a topic have done with its Redis stream, for tests that wait on deliveries.</summary>
public static class StreamAcknowledgements
{
    /// <summary>
    /// Waits (real time, at most <paramref name="patience"/>) until every consumer group of <paramref name="topic"/>'s
    /// stream (each subscribing app) has been delivered every entry published so far and acknowledged it: the apps
    /// answered each delivery, so whatever effect an entry has (none, for a duplicate) has happened.
    /// </summary>
    public static async Task AcknowledgedAsync(this TestMesh mesh, string topic, TimeSpan patience)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(mesh.Redis.ConnectionString);
        var database = connection.GetDatabase();
        var newest = (await database.StreamInfoAsync(topic)).LastGeneratedId;
        var deadline = DateTimeOffset.UtcNow + patience;
        while (!await AllAcknowledgedAsync(database, topic, newest))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the subscribers of {topic} did not acknowledge entry {newest} within {patience}");
            }

            await Task.Delay(20);
        }
    }

    private static async Task<bool> AllAcknowledgedAsync(IDatabase database, string topic, RedisValue newest)
    {
        var groups = await database.StreamGroupInfoAsync(topic);
        foreach (var group in groups)
        {
            if (Position(group.LastDeliveredId).CompareTo(Position(newest)) < 0
                || (await database.StreamPendingMessagesAsync(topic, group.Name, 1, RedisValue.Null, "-", newest)).Length > 0)
            {
                return false;
            }
        }

        return groups.Length > 0;
    }

    // A stream entry id "{milliseconds}-{sequence}" in stream order.
    private static (long Milliseconds, long Sequence) Position(RedisValue id)
    {
        var parts = ((string?)id ?? "0-0").Split('-');
        return (long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
