using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace Mesh.Demo.Tests;

/// <summary>Reads every value a Redis holds, as someone with access to the server (or its AOF file) could.</summary>
internal static partial class RedisScan
{
    /// <summary>
    /// Every key whose value (a string, hash fields, stream entries) matches <paramref name="pattern"/>, read as it is
    /// or with its base64 runs decoded (a byte array saved as JSON is base64, and would hide plaintext from a plain scan).
    /// </summary>
    public static async Task<List<string>> KeysHoldingAsync(string redis, Regex pattern)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var database = connection.GetDatabase();
        var matching = new List<string>();
        foreach (var key in connection.GetServer(redis).Keys(pattern: "*", pageSize: 1000))
        {
            var values = await database.KeyTypeAsync(key) switch
            {
                RedisType.String => [(string?)await database.StringGetAsync(key)],
                RedisType.Hash => (await database.HashGetAllAsync(key)).Select(entry => (string?)entry.Value),
                RedisType.Stream => (await database.StreamRangeAsync(key)).SelectMany(entry => entry.Values.Select(value => (string?)value.Value)),
                _ => [],
            };
            if (values.Any(value => value is not null && Reveals(value, pattern)))
            {
                matching.Add(key!);
            }
        }

        return matching;
    }

    private static bool Reveals(string value, Regex pattern) =>
        pattern.IsMatch(value) || Base64Run().Matches(value).Any(run => Decoded(run.Value) is { } text && pattern.IsMatch(text));

    private static string? Decoded(string run)
    {
        var bytes = new byte[run.Length];
        return Convert.TryFromBase64String(run, bytes, out var length) ? System.Text.Encoding.UTF8.GetString(bytes, 0, length) : null;
    }

    [GeneratedRegex("[A-Za-z0-9+/]{16,}={0,2}")]
    private static partial Regex Base64Run();

    /// <summary>Every key starting with <paramref name="prefix"/>.</summary>
    public static async Task<List<string>> KeysAsync(string redis, string prefix)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        return [.. connection.GetServer(redis).Keys(pattern: $"{prefix}*", pageSize: 1000).Select(key => (string)key!)];
    }
}
