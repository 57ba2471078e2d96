using System.Globalization;
using StackExchange.Redis;

namespace Mesh.Runtime.Components;

/// <summary>
/// <c>state.redis</c> with Dapr's data layout, so <c>mesh run</c> and <c>dapr run</c> can share one Redis: each
/// key is a hash with <c>data</c> (the value bytes), <c>version</c> (an integer whose decimal string is the ETag,
/// starting at "1") and <c>first-write</c> = 0 once the key has been written with first-write concurrency.
/// </summary>
/// <remarks>
/// Sets, deletes and transactions all run one Lua script, which checks every operation before it changes
/// anything. Dapr queues its scripts in MULTI/EXEC instead, where a failed ETag check does not undo the
/// other operations; Mesh's transactions are all-or-nothing. Dapr's transactions also never set the
/// first-write mark; Mesh's do, so a set behaves the same inside a transaction and out. Mesh applies TTLs
/// inside the script too, so a write and its expiry cannot be separated by a crash.
/// </remarks>
public sealed class RedisStateStore : IStateStore, IComponentHealth
{
    /// <summary>The component type.</summary>
    public const string ComponentType = "state.redis";

    // KEYS[i] is the key of operation i; ARGV holds five values per operation: kind ("set" or "del"), the
    // expected version ("0" for none), the data, "1" to mark first-write, and the TTL in seconds ("" leaves
    // any expiry as it is, <= 0 removes it). The first pass checks every operation against the state the
    // earlier operations leave (so two operations on one key behave as if run in order), the second applies
    // them. Returns 0, or the 1-based index of the first operation whose ETag does not match. A key that is
    // not a hash counts as missing and is replaced, as in Dapr.
    private const string ApplyLua = """
        local seen = {}
        local function current(key)
          if seen[key] == nil then
            if redis.call('TYPE', key)['ok'] == 'hash' then
              local fields = redis.call('HMGET', key, 'version', 'first-write')
              local version = fields[1]
              if version == '' then version = false end
              seen[key] = { version = version, firstWrite = fields[2] ~= false }
            else
              seen[key] = { version = false, firstWrite = false }
            end
          end
          return seen[key]
        end

        for i = 1, #KEYS do
          local at = (i - 1) * 5
          local expected = ARGV[at + 2]
          local state = current(KEYS[i])
          local free = (not state.version) or state.version == expected
          if ARGV[at + 1] == 'set' then
            if not (free or ((not state.firstWrite) and expected == '0')) then return i end
            state.version = tostring((tonumber(state.version) or 0) + 1)
            state.firstWrite = state.firstWrite or ARGV[at + 4] == '1'
          else
            if not (free or expected == '0') then return i end
            state.version = false
            state.firstWrite = false
          end
        end

        for i = 1, #KEYS do
          local key = KEYS[i]
          local at = (i - 1) * 5
          if ARGV[at + 1] == 'set' then
            local kind = redis.call('TYPE', key)['ok']
            if kind ~= 'hash' and kind ~= 'none' then redis.call('DEL', key) end
            redis.call('HSET', key, 'data', ARGV[at + 3])
            if ARGV[at + 4] == '1' then redis.call('HSET', key, 'first-write', 0) end
            redis.call('HINCRBY', key, 'version', 1)
            local ttl = ARGV[at + 5]
            if ttl ~= '' then
              if tonumber(ttl) > 0 then redis.call('EXPIRE', key, ttl) else redis.call('PERSIST', key) end
            end
          else
            redis.call('DEL', key)
          end
        end
        return 0
        """;

    private static readonly RedisValue[] HashFields = ["data", "version"];

    private readonly Task<ConnectionMultiplexer> connecting;
    private readonly long? defaultTtlSeconds;

    /// <summary>Reads the component's metadata and starts connecting; operations wait for the connection.</summary>
    /// <exception cref="ComponentException">The metadata is invalid.</exception>
    public RedisStateStore(ComponentDefinition definition)
    {
        var (options, ttl) = Parse(definition);
        defaultTtlSeconds = ttl;
        connecting = ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <inheritdoc />
    public async Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync(cancellationToken);
        var values = await database.HashGetAsync(key, HashFields).WaitAsync(cancellationToken);
        if (values[0].IsNull && values[1].IsNull)
        {
            return null;
        }

        // Dapr refuses a hash without both fields the same way.
        if (values[0].IsNull || values[1].IsNull)
        {
            throw new InvalidOperationException($"required hash field 'data' or 'version' was not found for key '{key}'");
        }

        return new StateItem(key, (byte[])values[0]!, values[1].ToString());
    }

    /// <inheritdoc />
    public Task SetAsync(StateSetRequest request, CancellationToken cancellationToken) =>
        TransactAsync([new StateOperation(request, null)], cancellationToken);

    /// <inheritdoc />
    public Task DeleteAsync(StateDeleteRequest request, CancellationToken cancellationToken) =>
        TransactAsync([new StateOperation(null, request)], cancellationToken);

    /// <inheritdoc />
    public async Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        if (operations.Count == 0)
        {
            return;
        }

        var keys = new RedisKey[operations.Count];
        var arguments = new RedisValue[operations.Count * 5];
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            StateRules.EnsureWellFormed(operation);
            var at = i * 5;
            if (operation.Set is { } set)
            {
                keys[i] = set.Key;
                arguments[at] = "set";
                arguments[at + 1] = StateRules.ExpectedVersion(set);
                arguments[at + 2] = set.Value;
                arguments[at + 3] = set.Concurrency == StateConcurrency.FirstWrite ? "1" : "0";
                arguments[at + 4] = (set.TtlSeconds ?? defaultTtlSeconds)?.ToString(CultureInfo.InvariantCulture) ?? "";
            }
            else
            {
                var delete = operation.Delete!;
                keys[i] = delete.Key;
                arguments[at] = "del";
                arguments[at + 1] = StateRules.ExpectedVersion(delete);
                arguments[at + 2] = RedisValue.EmptyString;
                arguments[at + 3] = "0";
                arguments[at + 4] = "";
            }
        }

        var database = await DatabaseAsync(cancellationToken);
        var refused = (int)await database.ScriptEvaluateAsync(ApplyLua, keys, arguments).WaitAsync(cancellationToken);
        if (refused > 0)
        {
            throw new ETagMismatchException(keys[refused - 1]!);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await (await connecting).DisposeAsync();

    /// <inheritdoc />
    public Task<bool> IsHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken) => RedisHealth.PingAsync(connecting, timeout, cancellationToken);

    /// <summary>Validates the metadata: the connection settings and the default <c>ttlInSeconds</c>.</summary>
    internal static (ConfigurationOptions Options, long? TtlSeconds) Parse(ComponentDefinition definition)
    {
        var metadata = new ComponentMetadata(definition);
        return (RedisConnection.Options(metadata), metadata.OptionalInteger("ttlInSeconds"));
    }

    private async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken) =>
        (await connecting.WaitAsync(cancellationToken)).GetDatabase();
}
