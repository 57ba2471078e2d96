using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Testing;

namespace Mesh.Procurement.Tests;

/// <summary>Requisitions through the procurement app: validation naming the field, routing, decisions by the routed approver only, events.</summary>
public sealed class RequisitionServiceTests(ProcurementFixture fixture) : IClassFixture<ProcurementFixture>
{
    private static Requisition Draft() => new()
    {
        Requester = "employees/nurse-7",
        CostCenter = "costCenters/cc-4410",
        DeliverToLocation = "locations/or-1",
        Lines =
        {
            new RequisitionLine { Item = "items/gauze-4x4", Quantity = Quantity.Of(10, "EA"), EstimatedUnitPrice = Money.Of("USD", 4) },
            new RequisitionLine { Item = "items/suture-3-0", Quantity = Quantity.Of(2, "BX"), EstimatedUnitPrice = Money.Of("USD", 20.5m) },
        },
    };

    [Fact]
    public async Task CreateRequisition_NumbersLinesAndEstimatesTotal_AsDraft()
    {
        var created = await fixture.Requisitions.CreateRequisitionAsync(new CreateRequisitionRequest { Requisition = Draft() });

        Assert.Equal(RequisitionState.Draft, created.State);
        Assert.Equal([1, 2], created.Lines.Select(l => l.LineNumber));
        Assert.Equal(81m, created.EstimatedTotal.ToDecimal());
        Assert.NotEmpty(created.Etag);
    }

    [Theory]
    [InlineData("no-lines", "requisition.lines must have at least one line")]
    [InlineData("negative", "requisition.lines[0].quantity must be positive")]
    [InlineData("no-item", "requisition.lines[0].item is required")]
    [InlineData("no-cost-center", "requisition.cost_center is required")]
    public async Task CreateRequisition_BadInput_InvalidArgumentNamingFieldAndRule(string fault, string message)
    {
        var draft = Draft();
        switch (fault)
        {
            case "no-lines": draft.Lines.Clear(); break;
            case "negative": draft.Lines[0].Quantity = Quantity.Of(-1, "EA"); break;
            case "no-item": draft.Lines[0].Item = ""; break;
            default: draft.CostCenter = ""; break;
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.Requisitions.CreateRequisitionAsync(new CreateRequisitionRequest { Requisition = draft }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, message), (refused.StatusCode, refused.Status.Detail));
    }

    [Fact]
    public async Task ApproveRequisition_ByRoutedApprover_ApprovesOnceAndAnnouncesSubmittedAndApproved()
    {
        var created = await fixture.Requisitions.CreateRequisitionAsync(new CreateRequisitionRequest { Requisition = Draft() });
        await fixture.Requisitions.SubmitRequisitionAsync(new SubmitRequisitionRequest { Name = created.Name });
        var resubmitted = await fixture.Requisitions.SubmitRequisitionAsync(new SubmitRequisitionRequest { Name = created.Name });
        await fixture.Requisitions.RouteRequisitionAsync(new RouteRequisitionRequest { Name = created.Name, Approver = "employees/manager-1" });
        var escalated = await fixture.Requisitions.RouteRequisitionAsync(new RouteRequisitionRequest { Name = created.Name, Approver = "employees/director-2" });
        var wrong = await Assert.ThrowsAsync<RpcException>(() => fixture.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = created.Name, Reviewer = "employees/manager-1" }).ResponseAsync);
        var approved = await fixture.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = created.Name, Reviewer = "employees/director-2", Comment = "ok" });
        var again = await fixture.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = created.Name, Reviewer = "employees/director-2" });
        var events = (await fixture.EventsAsync()).Where(e => e["data"]!["context"]?["correlationId"]?.GetValue<string>() == created.Name).ToList();

        Assert.Equal(RequisitionState.Submitted, resubmitted.State);
        Assert.Equal("employees/director-2", escalated.Approver);
        Assert.Equal(StatusCode.PermissionDenied, wrong.StatusCode);
        Assert.Equal((RequisitionState.Approved, "employees/director-2", "ok"), (approved.State, approved.Reviewer, approved.ReviewComment));
        Assert.Equal(approved.Etag, again.Etag);
        Assert.Single(events.Of(RequisitionSubmitted.Descriptor.FullName));
        var announced = RequisitionApproved.Parser.ParseJson(Assert.Single(events.Of(RequisitionApproved.Descriptor.FullName))["data"]!.ToJsonString());
        Assert.Equal(("employees/director-2", 81m, 2), (announced.Approver, announced.EstimatedTotal.ToDecimal(), announced.Lines.Count));
    }

    [Fact]
    public async Task RouteRequisition_ToRequester_FailedPrecondition()
    {
        var created = await fixture.Requisitions.CreateRequisitionAsync(new CreateRequisitionRequest { Requisition = Draft() });
        await fixture.Requisitions.SubmitRequisitionAsync(new SubmitRequisitionRequest { Name = created.Name });

        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.Requisitions.RouteRequisitionAsync(new RouteRequisitionRequest { Name = created.Name, Approver = "employees/nurse-7" }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("requester", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectRequisition_KeepsReasonAndRefusesLaterApproval()
    {
        var created = await fixture.Requisitions.CreateRequisitionAsync(new CreateRequisitionRequest { Requisition = Draft() });
        await fixture.Requisitions.SubmitRequisitionAsync(new SubmitRequisitionRequest { Name = created.Name });
        await fixture.Requisitions.RouteRequisitionAsync(new RouteRequisitionRequest { Name = created.Name, Approver = "employees/manager-1" });

        var rejected = await fixture.Requisitions.RejectRequisitionAsync(new RejectRequisitionRequest { Name = created.Name, Reviewer = "employees/manager-1", Reason = "over budget" });
        var late = await Assert.ThrowsAsync<RpcException>(() => fixture.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = created.Name, Reviewer = "employees/manager-1" }).ResponseAsync);

        Assert.Equal((RequisitionState.Rejected, "over budget"), (rejected.State, rejected.ReviewComment));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
    }

    [Fact]
    public async Task UpdateRequisition_AfterSubmit_FailedPrecondition()
    {
        var created = await fixture.Requisitions.CreateRequisitionAsync(new CreateRequisitionRequest { Requisition = Draft() });
        var submitted = await fixture.Requisitions.SubmitRequisitionAsync(new SubmitRequisitionRequest { Name = created.Name });
        submitted.Justification = "more";

        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.Requisitions.UpdateRequisitionAsync(new UpdateRequisitionRequest
        {
            Requisition = submitted,
            UpdateMask = new() { Paths = { "justification" } },
        }).ResponseAsync);
        var stale = await Assert.ThrowsAsync<RpcException>(() => fixture.Requisitions.CancelRequisitionAsync(new CancelRequisitionRequest { Name = created.Name, Etag = created.Etag }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
    }
}
