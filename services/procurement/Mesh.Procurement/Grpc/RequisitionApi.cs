using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Procurement.Domain;
using Mesh.Resources;

namespace Mesh.Procurement.Grpc;

/// <summary>mesh.procurement.v1.RequisitionService: maps requests to <see cref="Requisitions"/>; reads and lists come straight from the store.</summary>
public sealed class RequisitionApi(ResourceStore<Requisition> store, Requisitions requisitions) : RequisitionService.RequisitionServiceBase
{
    /// <inheritdoc />
    public override async Task<Requisition> GetRequisition(GetRequisitionRequest request, ServerCallContext context) =>
        await store.GetAsync(ProcurementNames.Requisitions.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListRequisitionsResponse> ListRequisitions(ListRequisitionsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await store.IdsAsync(ct), request.PageSize, request.PageToken, ids => store.GetManyAsync(ids, ct), r =>
            (request.State == RequisitionState.Unspecified || r.State == request.State)
            && (request.Requester.Length == 0 || r.Requester == request.Requester)
            && (request.CostCenter.Length == 0 || r.CostCenter == request.CostCenter));
        return new ListRequisitionsResponse { Requisitions = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<Requisition> CreateRequisition(CreateRequisitionRequest request, ServerCallContext context) =>
        requisitions.CreateAsync(request.Requisition ?? throw ResourceErrors.Invalid("requisition is required"), request.RequisitionId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Requisition> UpdateRequisition(UpdateRequisitionRequest request, ServerCallContext context) =>
        requisitions.UpdateAsync(request.Requisition ?? throw ResourceErrors.Invalid("requisition is required"), request.UpdateMask, context.CancellationToken);

    /// <inheritdoc />
    public override async Task<Empty> DeleteRequisition(DeleteRequisitionRequest request, ServerCallContext context)
    {
        await requisitions.DeleteAsync(request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    /// <inheritdoc />
    public override Task<Requisition> SubmitRequisition(SubmitRequisitionRequest request, ServerCallContext context) =>
        requisitions.SubmitAsync(request.Name, request.Etag, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Requisition> RouteRequisition(RouteRequisitionRequest request, ServerCallContext context) =>
        requisitions.RouteAsync(request.Name, request.Approver, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Requisition> ApproveRequisition(ApproveRequisitionRequest request, ServerCallContext context) =>
        requisitions.ApproveAsync(request.Name, request.Reviewer, request.Comment, request.Etag, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Requisition> RejectRequisition(RejectRequisitionRequest request, ServerCallContext context) =>
        requisitions.RejectAsync(request.Name, request.Reviewer, request.Reason, request.Etag, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Requisition> CancelRequisition(CancelRequisitionRequest request, ServerCallContext context) =>
        requisitions.CancelAsync(request.Name, request.Reason, request.Etag, context.CancellationToken);
}
