using System.Collections.Frozen;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.Workflows.Cases;

/// <summary>
/// What a saga gives the case API: its flow id, the store of its cases, where its saga instances are, and how it runs
/// an exception again. The API does the rest (names, errors, request ids, paging) the same for every flow.
/// </summary>
public interface ICaseFlow
{
    /// <summary>The flow id, the {flow} of "flows/{flow}", e.g. "inventory-to-charge".</summary>
    string Id { get; }

    /// <summary>The flow's cases and exception queue.</summary>
    CaseStore Cases { get; }

    /// <summary>The saga instance of a case's first run; a replay runs as an instance of its own (<see cref="CaseStore.ReplayIdOf"/>).</summary>
    string InstanceIdOf(string caseId);

    /// <summary>The flow's KPIs: its cases in flight, and which of them are stalled.</summary>
    FlowMetrics Metrics { get; }

    /// <summary>The dead-letter topics of the flow's subscriptions; none unless it has some.</summary>
    IReadOnlyList<string> DeadLetterTopics => [];

    /// <summary>The flow's steps (activity names) that undo what earlier steps did, marked so on case timelines.</summary>
    IReadOnlySet<string> Compensations => FrozenSet<string>.Empty;

    /// <summary>The case id of the key <see cref="Metrics"/> tracks a case under.</summary>
    string CaseIdOfMetricsKey(string key) => key;

    /// <summary>
    /// Starts a saga instance <paramref name="replayId"/> that repeats the replayable <paramref name="exception"/>,
    /// unless it exists; false when it did. FAILED_PRECONDITION when the case cannot be run again (its saga's input is
    /// gone).
    /// </summary>
    Task<bool> ReplayAsync(Case exception, string replayId, CancellationToken ct);

    /// <summary>
    /// The id of the case that owns <paramref name="document"/> ("{collection}/{id}", e.g. "purchaseOrders/r1-1");
    /// null when none does, as in every flow whose cases own no documents.
    /// </summary>
    Task<string?> CaseOfDocumentAsync(string document, CancellationToken ct) => Task.FromResult<string?>(null);

    /// <summary>
    /// Releases <paramref name="supplierInvoice"/> (or the only one) among the holds of <paramref name="held"/> for the
    /// operator <paramref name="subject"/>; FAILED_PRECONDITION when the case holds nothing, as every case of a flow
    /// without holds.
    /// </summary>
    Task<ReleaseHoldResponse> ReleaseHoldAsync(Case held, string supplierInvoice, string subject, string comment, CancellationToken ct) =>
        throw CaseErrors.FailedPrecondition("NOT_ON_HOLD", held.Name, $"is a case of {CaseNames.FlowName(Id)}, which holds nothing to release; replay or dismiss it");
}

/// <summary>The flows of this app, by id.</summary>
public sealed class CaseFlows(IEnumerable<ICaseFlow> flows)
{
    private readonly Dictionary<string, ICaseFlow> byId = flows.ToDictionary(f => f.Id, StringComparer.Ordinal);

    /// <summary>The flow named by "flows/{flow}" in <paramref name="field"/>: INVALID_ARGUMENT or NOT_FOUND otherwise.</summary>
    public ICaseFlow OfParent(string parent, string field) => Find(CaseNames.FlowOf(parent, field));

    /// <summary>The flow and case id of a case name in <paramref name="field"/>: INVALID_ARGUMENT or NOT_FOUND otherwise.</summary>
    public (ICaseFlow Flow, string CaseId) OfCase(string name, string field)
    {
        var (flow, caseId) = CaseNames.Parse(name, field);
        return (Find(flow), caseId);
    }

    private ICaseFlow Find(string flow) =>
        byId.GetValueOrDefault(flow) ?? throw CaseErrors.NotFound("mesh.workflows.v1.Flow", CaseNames.FlowName(flow), $"does not exist; this app runs {string.Join(", ", byId.Keys.Select(CaseNames.FlowName))}");
}
