using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Testing;

namespace Mesh.ProcureToPay.Tests;

/// <summary>CaseService.ReleaseHold's refusals: nothing is released without an operator token that may release it.</summary>
public sealed partial class ProcureToPayTests
{
    [Fact]
    public async Task ReleaseHold_WithoutTokenOrScopeOrEmployeeSubject_RefusedAndInvoiceStaysOnHold()
    {
        var (_, invoice, held) = await mesh.HeldAsync();

        var anonymous = await Assert.ThrowsAsync<RpcException>(() => mesh.ReleaseHoldAsync(held, token: null));
        var reader = await Assert.ThrowsAsync<RpcException>(() => mesh.ReleaseHoldAsync(held, OperatorTokens.Mint("ap-3", "operator")));
        var notAnEmployee = await Assert.ThrowsAsync<RpcException>(() => mesh.ReleaseHoldAsync(held, OperatorTokens.Mint("ana.ops")));
        var after = await mesh.Invoices.GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = invoice.Name });

        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal((StatusCode.PermissionDenied, "the bearer token lacks the scope workflows.operate"), (reader.StatusCode, reader.Status.Detail));
        Assert.Equal(StatusCode.PermissionDenied, notAnEmployee.StatusCode);
        Assert.Contains("not an employee id", notAnEmployee.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((SupplierInvoiceState.OnHold, ""), (after.State, after.HoldReleasedBy));
        Assert.Equal(CaseState.Exception, (await mesh.Cases.GetCaseAsync(new GetCaseRequest { Name = held.Name })).State);
    }

    [Fact]
    public async Task ReleaseHold_CaseNotOnHoldOrUnknown_FailedPreconditionOrNotFound()
    {
        var running = await mesh.SubmitAsync(("items/gauze-4x4", 2));
        await mesh.RoutedToAsync(running, "employees/ward-manager");
        var token = OperatorTokens.Mint("ap-3");
        var runningCase = new Case { Name = $"flows/procure-to-pay/cases/{running.Name["requisitions/".Length..]}" };

        var notHeld = await Assert.ThrowsAsync<RpcException>(() => mesh.ReleaseHoldAsync(runningCase, token));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => mesh.ReleaseHoldAsync(new Case { Name = "flows/procure-to-pay/cases/no-such-requisition" }, token));
        var noComment = await Assert.ThrowsAsync<RpcException>(() => mesh.ReleaseHoldAsync(runningCase, token, comment: " "));

        Assert.Equal(StatusCode.FailedPrecondition, notHeld.StatusCode);
        Assert.Contains("is Running with no supplier invoice on hold", notHeld.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("NOT_ON_HOLD", Assert.Single(notHeld.GetRpcStatus()!.GetDetail<Google.Rpc.PreconditionFailure>().Violations).Type);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal((StatusCode.InvalidArgument, "comment"), (noComment.StatusCode, noComment.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations[0].Field));
    }
}
