using System.Text;
using System.Text.Json;
using Dapr.Client;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Workflows.V1;
using Mesh.Resources;

namespace Mesh.Workflows.Cases;

/// <summary>
/// The cases of one flow in a Dapr state store ("{flow}:case:{id}"), its exception queue (<see cref="ExceptionQueue"/>),
/// the log of its cases in the order they first concluded ("{flow}:concluded", the queue's structure without reason
/// views), and the answers to operators' requests by request id ("{flow}:request:{id}"). A case and the queue and log
/// entries it moves are written in one state transaction at the ETags they were read with, so whoever reads a case
/// finds the queue agreeing with it, and concurrent sagas never drop each other's entries. A case lists the saga
/// instances that ran it (its first run, then each replay), so its timeline can read every run.
/// </summary>
public sealed class CaseStore
{
    /// <summary>Entries per segment of a new queue view: a page of 100 reads three segments or so.</summary>
    public const int DefaultSegmentSize = 64;

    private const int Attempts = 30;
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private readonly DaprClient dapr;
    private readonly string store;
    private readonly TimeProvider time;
    private readonly ExceptionQueue queue;
    private readonly ExceptionQueue log;
    private readonly QueueWriter writer;
    private readonly Func<string, string> firstRunOf;

    /// <param name="dapr">The Dapr client.</param>
    /// <param name="store">The state store component.</param>
    /// <param name="flow">The flow id, e.g. "inventory-to-charge": the prefix of every key.</param>
    /// <param name="firstRunOf">The saga instance of a case's first run, from its case id.</param>
    /// <param name="time">The clock of queue and dismiss times.</param>
    /// <param name="depthChanged">Told the queue's depth, and that of the reasons it touched, after every change.</param>
    /// <param name="segmentSize">Entries per segment of a new queue view.</param>
    public CaseStore(DaprClient dapr, string store, string flow, Func<string, string> firstRunOf, TimeProvider time, Action<QueueDepth>? depthChanged = null, int segmentSize = DefaultSegmentSize)
    {
        this.dapr = dapr;
        this.firstRunOf = firstRunOf;
        this.store = store;
        this.time = time;
        Flow = flow;
        queue = new ExceptionQueue(dapr, store, flow, segmentSize);
        log = new ExceptionQueue(dapr, store, flow, segmentSize, "concluded");
        writer = new QueueWriter(dapr, store, queue, log, time, depthChanged);
    }

    /// <summary>The flow id.</summary>
    public string Flow { get; }

    /// <summary>The recorded case, or null when it has not concluded (or never started).</summary>
    public async Task<Case?> GetAsync(string caseId, CancellationToken ct) =>
        (await dapr.GetStateAsync<StoredCase>(store, Key(caseId), cancellationToken: ct))?.Parse();

    /// <summary>The recorded cases among these, in the order given, read in one bulk call.</summary>
    public async Task<List<Case>> GetManyAsync(IReadOnlyList<string> caseIds, CancellationToken ct)
    {
        if (caseIds.Count == 0)
        {
            return [];
        }

        var read = await dapr.GetBulkStateAsync<StoredCase>(store, [.. caseIds.Distinct().Select(Key)], parallelism: 16, cancellationToken: ct);
        var byKey = read.Where(r => r.Value is not null).ToDictionary(r => r.Key, r => r.Value.Parse());
        return [.. caseIds.Select(Key).Where(byKey.ContainsKey).Select(key => byKey[key].Clone())];
    }

    /// <summary>
    /// The saga instances that ran <paramref name="recorded"/>, in order: those it lists; for a case recorded before runs
    /// were listed, its first run when a saga ran it (it has step timings); none for a case no saga ran.
    /// </summary>
    public IReadOnlyList<string> RunsOf(Case recorded) =>
        recorded.RunInstanceIds.Count > 0 ? recorded.RunInstanceIds
        : recorded.Steps.Count > 0 ? [firstRunOf(CaseNames.Parse(recorded.Name, "name").CaseId)]
        : [];

    /// <summary>
    /// The saga instance of the replay of <paramref name="exception"/>: one per conclusion, so whoever starts the
    /// replay of the same conclusion again (an operator's retry, the intake taking the case up) finds it.
    /// </summary>
    public string ReplayIdOf(Case exception) =>
        $"{firstRunOf(CaseNames.Parse(exception.Name, "name").CaseId)}-replay-{exception.ConcludeTime.ToDateTimeOffset().UtcTicks}";

    /// <summary>
    /// Records a concluded case: an EXCEPTION joins the end of the queue, anything else leaves it (a completed replay).
    /// The runs it lists (the saga instance that concluded it) join those the case listed. Recording the same
    /// conclusion again changes nothing, so a retried conclusion does not move the case. With
    /// <paramref name="unlessRecorded"/>, a case that already has a conclusion keeps it.
    /// </summary>
    public async Task RecordAsync(Case concluded, bool unlessRecorded, CancellationToken ct)
    {
        var caseId = CaseNames.Parse(concluded.Name, "name").CaseId;
        await ChangeAsync(caseId, current =>
        {
            if (current is not null && (unlessRecorded || SameConclusion(current.Parse(), concluded)))
            {
                return null;
            }

            var recorded = concluded.Clone();
            if (current is not null)
            {
                recorded.RunInstanceIds.Clear();
                recorded.RunInstanceIds.AddRange(RunsOf(current.Parse()).Union(concluded.RunInstanceIds, StringComparer.Ordinal));
            }

            return new CaseChange(current?.Queued, recorded.State == CaseState.Exception ? recorded.Reason : null, (place, queueTime) =>
            {
                recorded.QueueTime = queueTime is { } at ? Timestamp.FromDateTimeOffset(at) : null;
                return new StoredCase(Json(recorded), place);
            }, [], FirstConclusion: current is null);
        }, ct);
    }

    /// <summary>
    /// Lists <paramref name="instanceId"/> as the case's next run, unless it does already, in one write with the answer
    /// to <paramref name="requestId"/> when there is one; the case keeps its place on the queue. A case with no
    /// conclusion is left alone: its saga records its run when it concludes.
    /// </summary>
    public async Task RecordRunAsync(string caseId, string instanceId, string requestId, IMessage? answer, CancellationToken ct)
    {
        var name = CaseNames.Of(Flow, caseId);
        List<StateTransactionRequest> alongside = requestId.Length == 0 || answer is null ? [] : [AnswerOperation(requestId, name, answer)];
        var written = false;
        await ChangeAsync(caseId, current =>
        {
            var recorded = current?.Parse();
            if (recorded is null || (RunsOf(recorded).Contains(instanceId, StringComparer.Ordinal) && alongside.Count == 0))
            {
                return null;
            }

            var runs = RunsOf(recorded).Append(instanceId).Distinct(StringComparer.Ordinal).ToList();
            recorded.RunInstanceIds.Clear();
            recorded.RunInstanceIds.AddRange(runs);
            written = true;
            return new CaseChange(null, null, (_, _) => current! with { Case = Json(recorded) }, alongside, FirstConclusion: false);
        }, ct);
        if (!written && alongside.Count > 0)
        {
            await dapr.ExecuteStateTransactionAsync(store, alongside, cancellationToken: ct);
        }
    }

    /// <summary>
    /// Takes an exception off the queue and returns it DISMISSED: NOT_FOUND when the case has no conclusion,
    /// FAILED_PRECONDITION when it is not on the queue. With a request id, a retry returns the first answer.
    /// </summary>
    public async Task<Case> DismissAsync(string caseId, string requestId, CancellationToken ct)
    {
        var name = CaseNames.Of(Flow, caseId);
        if (await AnswerAsync(requestId, name, Case.Parser, ct) is { } earlier)
        {
            return earlier;
        }

        Case? dismissed = null;
        await ChangeAsync(caseId, current =>
        {
            var recorded = current?.Parse() ?? throw CaseErrors.NotFound(CaseErrors.CaseType, name, "has no conclusion to dismiss");
            if (recorded.State != CaseState.Exception)
            {
                throw CaseErrors.FailedPrecondition("NOT_ON_QUEUE", name, $"is {recorded.State}, not on the exception queue");
            }

            dismissed = recorded;
            dismissed.State = CaseState.Dismissed;
            dismissed.DismissTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
            List<StateTransactionRequest> alongside = requestId.Length == 0 ? [] : [AnswerOperation(requestId, name, dismissed)];
            return new CaseChange(current!.Queued, null, (_, _) => new StoredCase(Json(dismissed), null), alongside, FirstConclusion: false);
        }, ct);
        return dismissed!;
    }

    /// <summary>
    /// A page of the exception queue, oldest first, with only exceptions of <paramref name="reason"/> and those that
    /// joined before <paramref name="before"/> when set. The page token carries the filters it was issued for.
    /// </summary>
    public async Task<(List<Case> Page, string NextPageToken)> ListExceptionsAsync(string? reason, DateTimeOffset? before, int pageSize, string pageToken, CancellationToken ct)
    {
        var filters = $"{reason}|{before?.UtcTicks}";
        var after = pageToken.Length == 0 ? -1 : DecodeToken(pageToken, filters);
        var (entries, more) = await queue.PageAsync(reason, before, pageSize, after, ct);
        // An entry and its case are written together. A case that changed since its entry was read (dismissed, or
        // replayed and queued again further on) is left out here: it is listed where it is now, if anywhere.
        var cases = await GetManyAsync([.. entries.Select(e => e.CaseId)], ct);
        var byId = cases.Where(c => c.State == CaseState.Exception).ToDictionary(c => CaseNames.Parse(c.Name, "name").CaseId);
        var current = entries.Where(e => byId.TryGetValue(e.CaseId, out var c) && c.QueueTime?.ToDateTimeOffset() == e.QueueTime);
        return ([.. current.Select(e => byId[e.CaseId])], more ? EncodeToken(entries[^1].Sequence, filters) : "");
    }

    /// <summary>
    /// A page of the flow's concluded cases in the order they first concluded, each as it is now (a replayed exception
    /// shows where its replay ended). Cases that concluded before the log existed are not listed.
    /// </summary>
    public async Task<(List<Case> Page, string NextPageToken)> ListConcludedAsync(int pageSize, string pageToken, CancellationToken ct)
    {
        const string filters = "concluded";
        var after = pageToken.Length == 0 ? -1 : DecodeToken(pageToken, filters);
        var (entries, more) = await log.PageAsync(null, null, pageSize, after, ct);
        return (await GetManyAsync([.. entries.Select(e => e.CaseId)], ct), more ? EncodeToken(entries[^1].Sequence, filters) : "");
    }

    /// <summary>
    /// The answer recorded for <paramref name="requestId"/> about <paramref name="name"/>, or null when there is none;
    /// INVALID_ARGUMENT when the request id was used about another case.
    /// </summary>
    public async Task<T?> AnswerAsync<T>(string requestId, string name, MessageParser<T> parser, CancellationToken ct)
        where T : IMessage<T>
    {
        if (requestId.Length == 0)
        {
            return default;
        }

        var answer = await dapr.GetStateAsync<StoredAnswer>(store, RequestKey(requestId), cancellationToken: ct);
        return answer is null ? default
            : answer.Name == name ? parser.ParseJson(answer.Answer.GetRawText())
            : throw CaseErrors.Invalid("request_id", "was used for a request about another case; use a new request id");
    }

    /// <summary>
    /// Records that <paramref name="documents"/> (resource names, e.g. "purchaseOrders/r1-1") belong to the case
    /// <paramref name="caseId"/>, one key each ("{flow}:document:{name}"), so <see cref="CaseOfDocumentAsync"/> finds
    /// it with one read. A document belongs to one case, so recording it again writes the same value.
    /// </summary>
    public Task RecordDocumentsAsync(string caseId, IEnumerable<string> documents, CancellationToken ct) =>
        dapr.ExecuteStateTransactionAsync(store, [.. documents.Distinct(StringComparer.Ordinal).Select(d =>
            new StateTransactionRequest(DocumentKey(d), JsonSerializer.SerializeToUtf8Bytes(caseId, JsonSerializerOptions.Web), StateOperationType.Upsert))], cancellationToken: ct);

    /// <summary>The case a document was recorded for; null when none was.</summary>
    public async Task<string?> CaseOfDocumentAsync(string document, CancellationToken ct) =>
        await dapr.GetStateAsync<string>(store, DocumentKey(document), cancellationToken: ct);

    /// <summary>Records the answer to a request, for <see cref="AnswerAsync"/>.</summary>
    public Task RememberAsync(string requestId, string name, IMessage answer, CancellationToken ct) =>
        requestId.Length == 0 ? Task.CompletedTask : dapr.ExecuteStateTransactionAsync(store, [AnswerOperation(requestId, name, answer)], cancellationToken: ct);

    // Reads the case, asks decide for the change (null: none), and writes the case with the alongside operations, and
    // the queue and log entries it moves, in one transaction at the ETags they were read with (changes that move
    // entries go in groups, see QueueWriter); on an ETag conflict it reads again and decides again.
    private async Task ChangeAsync(string caseId, Func<StoredCase?, CaseChange?> decide, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (current, etag) = await dapr.GetStateAndETagAsync<StoredCase>(store, Key(caseId), cancellationToken: ct);
            if (decide(current) is not { } change)
            {
                return;
            }

            if (change.Grouped ? await writer.WriteAsync(caseId, Key(caseId), etag, change, ct)
                : await dapr.TryExecuteStateTransactionAsync(store, [change.Store(null, null).WriteAt(Key(caseId), etag), .. change.Alongside], ct))
            {
                return;
            }

            if (attempt == Attempts)
            {
                throw new RpcException(new Status(StatusCode.Aborted, $"the exception queue of flows/{Flow} kept changing; retry"));
            }

            await StateTransactions.BackOffAsync(attempt, ct);
        }
    }

    // A retried conclusion is the same saga's same answer: same state, reason and conclude time.
    private static bool SameConclusion(Case recorded, Case concluded) =>
        recorded.State == concluded.State && recorded.Reason == concluded.Reason && Equals(recorded.ConcludeTime, concluded.ConcludeTime);

    private StateTransactionRequest AnswerOperation(string requestId, string name, IMessage answer) =>
        new(RequestKey(requestId), JsonSerializer.SerializeToUtf8Bytes(new StoredAnswer(name, Json(answer)), JsonSerializerOptions.Web), StateOperationType.Upsert);

    private static JsonElement Json(IMessage message) => JsonDocument.Parse(JsonFormatter.Default.Format(message)).RootElement;

    private static string EncodeToken(long sequence, string filters) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{sequence}|{filters}"));

    private static long DecodeToken(string token, string filters)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            if (bar > 0 && long.TryParse(text.AsSpan(0, bar), System.Globalization.CultureInfo.InvariantCulture, out var sequence) && sequence >= 0)
            {
                return text[(bar + 1)..] == filters
                    ? sequence
                    : throw CaseErrors.Invalid("page_token", "was issued for other filters; give the reason and queued_before of the first page");
            }
        }
        catch (FormatException)
        {
        }

        throw CaseErrors.Invalid("page_token", "was not issued by this service");
    }

    private string Key(string caseId) => $"{Flow}:case:{caseId}";

    private string RequestKey(string requestId) => $"{Flow}:request:{requestId}";

    private string DocumentKey(string document) => $"{Flow}:document:{document}";

    /// <summary>A case as stored: its protobuf JSON, and where it sits on the queue while it is an exception.</summary>
    internal sealed record StoredCase(JsonElement Case, QueuePlace? Queued)
    {
        public Case Parse() => Parser.Parse<Case>(Case.GetRawText());

        /// <summary>The write of the case at the ETag it was read with; first-write, so a case never read cannot be overwritten.</summary>
        public StateTransactionRequest WriteAt(string key, string? etag) =>
            new(key, JsonSerializer.SerializeToUtf8Bytes(this, JsonSerializerOptions.Web), StateOperationType.Upsert, string.IsNullOrEmpty(etag) ? null : etag, options: FirstWrite);
    }

    /// <summary>The answer given to a request id, and the case it was about.</summary>
    private sealed record StoredAnswer(string Name, JsonElement Answer);
}
