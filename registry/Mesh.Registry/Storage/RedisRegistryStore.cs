using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Registry.Storage;

/// <summary>
/// The registry's state in Redis. Content is stored once per fingerprint under a global id; each
/// subject keeps a version counter and a hash of version records. A registration is one Lua script,
/// so ids and version numbers are allocated atomically and a version is never lost or duplicated
/// when writers race (the loser sees <see cref="AppendOutcome.Conflict"/> and re-checks).
/// </summary>
public sealed partial class RedisRegistryStore(IConnectionMultiplexer redis, IOptions<RegistryOptions> options)
{
    private const string FilesSuffix = ":files";
    private const string IdSuffix = ":id";

    // KEYS: 1 version count, 2 version records, 3 subjects, 4 subject, 5 fingerprint->id, 6 next id, 7 audit,
    // 8 subject revision, 9 config revision.
    // ARGV: 1 expected count, 2 fingerprint, 3 descriptor set, 4 version metadata, 5 own files, 6 record
    // of a new subject, 7 subject name, 8 schema key prefix, 9 audit entry, 10 expected subject revision,
    // 11 expected config revision, 12 the audit stream's maximum length.
    // Returns {version, schema id}, or -1 when anything the verdict depended on changed meanwhile
    // (a version added or deleted, the subject's settings, the registry defaults).
    // The schema key is built inside the script: fine on one Redis node, not on a cluster.
    private const string AppendLua = """
        local count = tonumber(redis.call('GET', KEYS[1]) or '0')
        if count ~= tonumber(ARGV[1]) then return -1 end
        if (redis.call('GET', KEYS[8]) or '0') ~= ARGV[10] then return -1 end
        if (redis.call('GET', KEYS[9]) or '0') ~= ARGV[11] then return -1 end
        local id = redis.call('GET', KEYS[5])
        if not id then
          id = redis.call('INCR', KEYS[6])
          redis.call('SET', KEYS[5], id)
          redis.call('HSET', ARGV[8] .. id, 'fds', ARGV[3], 'fingerprint', ARGV[2])
        end
        local version = count + 1
        redis.call('SET', KEYS[1], version)
        redis.call('HSET', KEYS[2], tostring(version), ARGV[4], tostring(version) .. ':files', ARGV[5], tostring(version) .. ':id', id)
        if redis.call('EXISTS', KEYS[4]) == 0 then redis.call('SET', KEYS[4], ARGV[6]) end
        redis.call('ZADD', KEYS[3], 0, ARGV[7])
        redis.call('XADD', KEYS[7], 'MAXLEN', ARGV[12], '*', 'entry', ARGV[9])
        redis.call('INCR', KEYS[8])
        return {version, tonumber(id)}
        """;

    // A settings change applied only if nothing changed since it was read, together with its audit entry.
    // KEYS: 1 revision, 2 target, 3 audit. ARGV: 1 expected revision, 2 field ('' = plain string key),
    // 3 value, 4 audit entry, 5 the audit stream's maximum length. Returns 1, or -1 on a revision mismatch.
    private const string CompareAndWriteLua = """
        if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return -1 end
        if ARGV[2] == '' then redis.call('SET', KEYS[2], ARGV[3]) else redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
        redis.call('INCR', KEYS[1])
        redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[5], '*', 'entry', ARGV[4])
        return 1
        """;

    private readonly string prefix = options.Value.KeyPrefix;
    private readonly int maxAuditEntries = options.Value.Audit.MaxEntries;
    private readonly ConcurrentDictionary<long, (ByteString, string)> contentById = new();

    private IDatabase Db => redis.GetDatabase();

    /// <summary>The subject's settings, or null when it has never had a version.</summary>
    public async Task<Subject?> GetSubjectAsync(string subject)
    {
        var bytes = (byte[]?)await Db.StringGetAsync(SubjectKey(subject));
        return bytes is null ? null : Subject.Parser.ParseFrom(bytes);
    }

    /// <summary>The revisions the next write will be checked against; read before the data they protect.</summary>
    public async Task<Revisions> GetRevisionsAsync(string subject)
    {
        var values = await Db.StringGetAsync([RevisionKey(subject), ConfigRevisionKey]);
        return new Revisions(values[0].IsNull ? "0" : values[0].ToString(), values[1].IsNull ? "0" : values[1].ToString());
    }

    /// <summary>Saves a subject's settings and the audit entry, if the subject is still at <paramref name="expected"/>.</summary>
    public Task<bool> SaveSubjectAsync(string subjectName, Revisions expected, Subject subject, AuditEntry audit) =>
        CompareAndWriteAsync(RevisionKey(subjectName), expected.Subject, SubjectKey(subjectName), "", subject.ToByteArray(), audit);

    /// <summary>Rewrites a version's metadata (soft delete) and the audit entry, if the subject is still at <paramref name="expected"/>.</summary>
    public Task<bool> SaveVersionAsync(string subject, Revisions expected, SchemaVersion metadata, AuditEntry audit) =>
        CompareAndWriteAsync(RevisionKey(subject), expected.Subject, RecordsKey(subject), metadata.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), metadata.ToByteArray(), audit);

    /// <summary>Saves the registry defaults and the audit entry, if they are still at <paramref name="expected"/>.</summary>
    public Task<bool> SaveConfigAsync(Revisions expected, RegistryConfig config, AuditEntry audit) =>
        CompareAndWriteAsync(ConfigRevisionKey, expected.Config, ConfigKey, "", config.ToByteArray(), audit);

    /// <summary>The subject's version count and every record in version order.</summary>
    public async Task<(int Count, IReadOnlyList<StoredVersion> Versions)> GetVersionsAsync(string subject)
    {
        var batch = Db.CreateBatch();
        var countTask = batch.StringGetAsync(CountKey(subject));
        var recordsTask = batch.HashGetAllAsync(RecordsKey(subject));
        batch.Execute();
        var count = (int?)await countTask ?? 0;
        var entries = (await recordsTask).ToDictionary(e => e.Name.ToString(), e => e.Value);
        var versions = new List<StoredVersion>(count);
        for (var v = 1; v <= count; v++)
        {
            if (!entries.TryGetValue(v.ToString(System.Globalization.CultureInfo.InvariantCulture), out var meta))
            {
                continue;
            }

            var files = ((string?)entries.GetValueOrDefault(v + FilesSuffix) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var metadata = SchemaVersion.Parser.ParseFrom((byte[])meta!);
            metadata.Version = v;
            metadata.SchemaId = (long)entries.GetValueOrDefault(v + IdSuffix);
            metadata.Name = $"subjects/{subject}/versions/{v}";
            versions.Add(new StoredVersion(metadata, files));
        }

        return (count, versions);
    }

    /// <summary>The descriptor set and fingerprint stored under a global id, or null.</summary>
    public async Task<(ByteString DescriptorSet, string Fingerprint)?> GetSchemaAsync(long schemaId)
    {
        // Content under an id never changes, so it is cached for the life of the process.
        if (contentById.TryGetValue(schemaId, out var cached))
        {
            return cached;
        }

        var values = await Db.HashGetAsync(SchemaKey(schemaId), ["fds", "fingerprint"]);
        if (values[0].IsNull)
        {
            return null;
        }

        var content = (ByteString.CopyFrom((byte[])values[0]!), values[1].ToString());
        contentById.TryAdd(schemaId, content);
        return content;
    }

    /// <summary>Appends a version if the subject still has <paramref name="expectedCount"/> versions.</summary>
    public async Task<(AppendOutcome Outcome, int Version, long SchemaId)> AppendVersionAsync(
        string subject, Revisions expected, int expectedCount, string fingerprint, ByteString descriptorSet, SchemaVersion metadata,
        IReadOnlyList<string> ownFiles, Subject newSubject, AuditEntry audit)
    {
        // The record's version and schema id are only known inside the script; readers take them from
        // the record's position and its ":id" field.
        var result = await Db.ScriptEvaluateAsync(
            AppendLua,
            [CountKey(subject), RecordsKey(subject), SubjectsKey, SubjectKey(subject), FingerprintKey(fingerprint), NextIdKey, AuditKey, RevisionKey(subject), ConfigRevisionKey],
            [
                expectedCount, fingerprint, descriptorSet.ToByteArray(), metadata.ToByteArray(), string.Join('\n', ownFiles),
                newSubject.ToByteArray(), subject, prefix + "schema:", audit.ToByteArray(), expected.Subject, expected.Config, maxAuditEntries,
            ]);
        if (result.Resp2Type == ResultType.Integer)
        {
            return (AppendOutcome.Conflict, 0, 0);
        }

        var values = (RedisResult[])result!;
        return (AppendOutcome.Appended, (int)values[0], (long)values[1]);
    }


    /// <summary>Subject names after <paramref name="after"/>, in order.</summary>
    public async Task<IReadOnlyList<string>> ListSubjectsAsync(string after, int take)
    {
        var start = after.Length == 0 ? default : (RedisValue)after;
        var names = await Db.SortedSetRangeByValueAsync(SubjectsKey, start, default, after.Length == 0 ? Exclude.None : Exclude.Start, Order.Ascending, 0, take);
        return names.Select(n => n.ToString()).ToList();
    }

    /// <summary>The registry defaults, or null when never set.</summary>
    public async Task<RegistryConfig?> GetConfigAsync()
    {
        var bytes = (byte[]?)await Db.StringGetAsync(ConfigKey);
        return bytes is null ? null : RegistryConfig.Parser.ParseFrom(bytes);
    }


    /// <summary>Appends an audit entry that goes with no change; its id is the stream id.</summary>
    public Task AppendAuditAsync(AuditEntry entry) =>
        Db.StreamAddAsync(AuditKey, "entry", entry.ToByteArray(), maxLength: maxAuditEntries, useApproximateMaxLength: false);

    /// <summary>True for a stream id ("{ms}-{seq}"), the cursor of <see cref="ListAuditAsync"/>.</summary>
    public static bool IsAuditCursor(string cursor) => StreamId().IsMatch(cursor);

    /// <summary>Audit entries older than <paramref name="before"/> (a stream id), newest first, each with its id and time.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAuditAsync(string? before, int take, Func<AuditEntry, bool> filter)
    {
        var result = new List<AuditEntry>(take);
        RedisValue max = before is null ? "+" : "(" + before;
        while (result.Count < take)
        {
            var page = await Db.StreamRangeAsync(AuditKey, "-", max, count: Math.Max(take, 100), messageOrder: Order.Descending);
            if (page.Length == 0)
            {
                break;
            }

            foreach (var item in page)
            {
                var entry = AuditEntry.Parser.ParseFrom((byte[])item["entry"]!);
                entry.Id = item.Id.ToString();
                entry.Time = TimeOfStreamId(entry.Id);
                if (filter(entry))
                {
                    result.Add(entry);
                    if (result.Count == take)
                    {
                        break;
                    }
                }
            }

            max = "(" + page[^1].Id;
        }

        return result;
    }

    // The time Redis stamped the entry with: one clock for every registry instance.
    private static Timestamp TimeOfStreamId(string id) =>
        Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(id.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture)));

    private async Task<bool> CompareAndWriteAsync(string revisionKey, string expected, string target, string field, byte[] value, AuditEntry audit)
    {
        var result = await Db.ScriptEvaluateAsync(CompareAndWriteLua, [revisionKey, target, AuditKey], [expected, field, value, audit.ToByteArray(), maxAuditEntries]);
        return (int)result == 1;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\A[0-9]{1,20}-[0-9]{1,20}\z")]
    private static partial System.Text.RegularExpressions.Regex StreamId();

    private string SubjectsKey => prefix + "subjects";

    private string ConfigRevisionKey => prefix + "config:rev";

    private string RevisionKey(string subject) => $"{prefix}subject:{subject}:rev";

    private string NextIdKey => prefix + "next-schema-id";

    private string AuditKey => prefix + "audit";

    private string ConfigKey => prefix + "config";

    private string SubjectKey(string subject) => $"{prefix}subject:{subject}";

    private string CountKey(string subject) => $"{prefix}subject:{subject}:count";

    private string RecordsKey(string subject) => $"{prefix}subject:{subject}:versions";

    private string FingerprintKey(string fingerprint) => $"{prefix}fingerprint:{fingerprint}";

    private string SchemaKey(long id) => $"{prefix}schema:{id}";
}
