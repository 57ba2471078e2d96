using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Resources;

namespace Mesh.Procurement.Domain;

/// <summary>
/// Requisitions from DRAFT to a decision: created and changed while DRAFT, submitted (RequisitionSubmitted starts the
/// saga), routed to the approver whose decision they wait for, then approved (RequisitionApproved) or rejected
/// (RequisitionRejected) by that approver only, or cancelled.
/// </summary>
public sealed class Requisitions(ResourceStore<Requisition> store, ContractEvents events, TimeProvider time)
{
    private const string Prefix = "REQUISITION_STATE_";

    /// <summary>Creates a DRAFT requisition under <paramref name="requisitionId"/>, or a new id.</summary>
    public Task<Requisition> CreateAsync(Requisition draft, string requisitionId, string requestId, CancellationToken ct)
    {
        var requisition = draft.Clone();
        RequisitionRules.Validate(requisition);
        var id = ResourceName.NewId(requisitionId, "requisition_id");
        var now = Now();
        requisition.Name = ProcurementNames.Requisitions.Of(id);
        requisition.State = RequisitionState.Draft;
        requisition.Approver = requisition.Reviewer = requisition.ReviewComment = "";
        requisition.SubmitTime = requisition.ReviewTime = null;
        requisition.CreateTime = requisition.UpdateTime = now;
        return store.CreateAsync(id, requisition, requestId, ct);
    }

    /// <summary>Applies the fields <paramref name="mask"/> names to a DRAFT requisition.</summary>
    public Task<Requisition> UpdateAsync(Requisition change, FieldMask? mask, CancellationToken ct) =>
        StandardMethods.UpdateAsync(store, ProcurementNames.Requisitions.IdOf(change.Name, "requisition.name"), change, mask, RequisitionRules.UpdatablePaths, updated =>
        {
            RequireState(updated, RequisitionState.Draft, "updated");
            RequisitionRules.Validate(updated);
            updated.UpdateTime = Now();
        }, ct);

    /// <summary>Deletes a DRAFT requisition.</summary>
    public async Task DeleteAsync(string name, string etag, CancellationToken ct)
    {
        var id = ProcurementNames.Requisitions.IdOf(name, "name");
        RequireState(await store.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name), RequisitionState.Draft, "deleted; cancel it instead");
        await StandardMethods.DeleteAsync(store, id, name, etag, ct);
    }

    /// <summary>DRAFT to SUBMITTED, announcing RequisitionSubmitted.</summary>
    public Task<Requisition> SubmitAsync(string name, string etag, CancellationToken ct) => ApplyAsync(name, etag, requisition =>
    {
        if (requisition.State == RequisitionState.Submitted)
        {
            return null;
        }

        RequireState(requisition, RequisitionState.Draft, "submitted");
        var submitted = Stamp(requisition);
        submitted.State = RequisitionState.Submitted;
        submitted.SubmitTime = submitted.UpdateTime;
        return new(submitted, new RequisitionSubmitted { Context = Context(submitted, "submitted"), Requisition = submitted });
    }, ct);

    /// <summary>Routes a SUBMITTED requisition to <paramref name="approver"/>; a decided one is returned as it is.</summary>
    public Task<Requisition> RouteAsync(string name, string approver, CancellationToken ct)
    {
        ProcurementNames.Require(ProcurementNames.Employees, approver, "approver");
        return ApplyAsync(name, "", requisition =>
        {
            if (requisition.State is RequisitionState.Approved or RequisitionState.Rejected || requisition.Approver == approver)
            {
                return null;
            }

            RequireState(requisition, RequisitionState.Submitted, "routed");
            if (requisition.Requester == approver)
            {
                throw ResourceErrors.FailedPrecondition("approver must not be the requester: nobody approves their own requisition");
            }

            var routed = Stamp(requisition);
            routed.Approver = approver;
            return new(routed);
        }, ct);
    }

    /// <summary>SUBMITTED to APPROVED by the approver it is routed to, announcing RequisitionApproved.</summary>
    public Task<Requisition> ApproveAsync(string name, string reviewer, string comment, string etag, CancellationToken ct) =>
        DecideAsync(name, reviewer, comment, etag, RequisitionState.Approved, approved => new RequisitionApproved
        {
            Context = Context(approved, "approved"),
            Requisition = approved.Name,
            Requester = approved.Requester,
            Approver = approved.Reviewer,
            CostCenter = approved.CostCenter,
            DeliverToLocation = approved.DeliverToLocation,
            NeedByTime = approved.NeedByTime,
            Lines = { approved.Lines },
            EstimatedTotal = approved.EstimatedTotal,
            Origin = approved.Origin,
        }, ct);

    /// <summary>SUBMITTED to REJECTED by the approver it is routed to, announcing RequisitionRejected.</summary>
    public Task<Requisition> RejectAsync(string name, string reviewer, string reason, string etag, CancellationToken ct) =>
        reason.Length == 0
            ? throw ResourceErrors.Invalid("reason is required")
            : DecideAsync(name, reviewer, reason, etag, RequisitionState.Rejected, rejected => new RequisitionRejected
            {
                Context = Context(rejected, "rejected"), Requisition = rejected.Name, Reviewer = rejected.Reviewer, Reason = rejected.ReviewComment,
            }, ct);

    /// <summary>SUBMITTED or APPROVED to CANCELLED.</summary>
    public Task<Requisition> CancelAsync(string name, string reason, string etag, CancellationToken ct) => ApplyAsync(name, etag, requisition =>
    {
        if (requisition.State == RequisitionState.Cancelled)
        {
            return null;
        }

        if (requisition.State is not (RequisitionState.Submitted or RequisitionState.Approved))
        {
            throw ResourceErrors.FailedPrecondition($"only a SUBMITTED or APPROVED requisition can be cancelled; {requisition.Name} is {requisition.State}");
        }

        var cancelled = Stamp(requisition);
        cancelled.State = RequisitionState.Cancelled;
        cancelled.ReviewComment = reason;
        return new(cancelled);
    }, ct);

    private Task<Requisition> DecideAsync(
        string name, string reviewer, string comment, string etag, RequisitionState decision, Func<Requisition, Google.Protobuf.IMessage> announce, CancellationToken ct)
    {
        ProcurementNames.Require(ProcurementNames.Employees, reviewer, "reviewer");
        return ApplyAsync(name, etag, requisition =>
        {
            if (requisition.State == decision && requisition.Reviewer == reviewer)
            {
                return null;
            }

            RequireState(requisition, RequisitionState.Submitted, decision == RequisitionState.Approved ? "approved" : "rejected");
            if (requisition.Approver != reviewer)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, requisition.Approver.Length == 0
                    ? $"{requisition.Name} is not routed to an approver yet"
                    : "reviewer must be the approver the requisition is routed to"));
            }

            var decided = Stamp(requisition);
            decided.State = decision;
            decided.Reviewer = reviewer;
            decided.ReviewComment = comment;
            decided.ReviewTime = decided.UpdateTime;
            return new(decided, announce(decided));
        }, ct);
    }

    private Task<Requisition> ApplyAsync(string name, string etag, Func<Requisition, Change<Requisition>?> decide, CancellationToken ct) =>
        Transitions.ApplyAsync(store, ProcurementNames.Requisitions.IdOf(name, "name"), name, etag, (current, _) => Task.FromResult(decide(current)), ct);

    private static void RequireState(Requisition requisition, RequisitionState state, string what)
    {
        if (requisition.State != state)
        {
            throw ResourceErrors.FailedPrecondition($"only a {ProcurementNames.StateName(state, Prefix)} requisition can be {what}; {requisition.Name} is {ProcurementNames.StateName(requisition.State, Prefix)}");
        }
    }

    private Requisition Stamp(Requisition requisition)
    {
        var changed = requisition.Clone();
        changed.UpdateTime = Now();
        return changed;
    }

    private Mesh.Contracts.Type.V1.EventContext Context(Requisition requisition, string what) =>
        events.Context($"{requisition.Name}.{what}", requisition.UpdateTime.ToDateTimeOffset(), correlationId: requisition.Name);

    private Timestamp Now() => Timestamp.FromDateTimeOffset(time.GetUtcNow());
}
