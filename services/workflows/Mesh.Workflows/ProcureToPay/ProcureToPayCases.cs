using Dapr.Client;
using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Resources;
using Mesh.Workflows.Cases;
using Mesh.Workflows.InventoryToCharge;
using Mesh.Workflows.ProcureToPay.Activities;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.ProcureToPay;

/// <summary>The procure-to-pay cases and exception queue, in the same case store machinery as every flow.</summary>
public sealed class ProcureToPayCases(DaprClient dapr, IOptions<InventoryToChargeOptions> shared, ProcureToPayMetrics metrics, TimeProvider time)
{
    /// <summary>The flow's cases and exception queue; its depth by reason goes to the KPIs.</summary>
    public CaseStore Store { get; } = new(dapr, shared.Value.StateStore, ProcureToPayIds.FlowId, ProcureToPayIds.InstanceIdOf, time, metrics.QueueDepth);
}

/// <summary>
/// The procure-to-pay saga as the case API sees it. Its cases are not replayed: an operator releases a held invoice
/// (procurement's ReleaseSupplierInvoiceHold, which only this app may call, naming the operator of the token), and the
/// waiting saga resumes.
/// </summary>
public sealed class ProcureToPayFlow(ProcureToPayCases cases, ProcureToPayMetrics metrics, SupplierInvoiceService.SupplierInvoiceServiceClient invoices) : ICaseFlow
{
    private const string Employees = "employees/";
    private const string Requisitions = "requisitions/";

    /// <inheritdoc />
    public string Id => ProcureToPayIds.FlowId;

    /// <inheritdoc />
    public CaseStore Cases => cases.Store;

    /// <inheritdoc />
    public string InstanceIdOf(string caseId) => ProcureToPayIds.InstanceIdOf(caseId);

    /// <inheritdoc />
    /// <remarks>Cancelling the orders a failed placement sent, and taking a reversed receipt off hand.</remarks>
    public IReadOnlySet<string> Compensations { get; } = new HashSet<string>([nameof(CancelOrders), nameof(TakeReceiptOffHand)], StringComparer.Ordinal);

    /// <inheritdoc />
    public FlowMetrics Metrics => metrics;

    /// <inheritdoc />
    /// <remarks>The saga's metrics track a case under its instance id.</remarks>
    public string CaseIdOfMetricsKey(string key) => ProcureToPayIds.CaseIdOf(key);

    /// <inheritdoc />
    public Task<bool> ReplayAsync(Case exception, string replayId, CancellationToken ct) =>
        throw CaseErrors.FailedPrecondition("NOT_REPLAYABLE", exception.Name,
            "is not replayed: release its invoice hold with ReleaseHold, and the waiting saga resumes; a refused requisition is submitted again as a new one");

    /// <inheritdoc />
    /// <remarks>
    /// A requisition is its case; the saga records its purchase orders when it places them, and the intake each
    /// receipt and invoice it hands the saga.
    /// </remarks>
    public Task<string?> CaseOfDocumentAsync(string document, CancellationToken ct) =>
        document.StartsWith(Requisitions, StringComparison.Ordinal) ? Task.FromResult<string?>(document[Requisitions.Length..]) : cases.Store.CaseOfDocumentAsync(document, ct);

    /// <inheritdoc />
    public async Task<ReleaseHoldResponse> ReleaseHoldAsync(Case held, string supplierInvoice, string subject, string comment, CancellationToken ct)
    {
        var holds = held.State == CaseState.Exception ? held.ProcureToPay?.HeldSupplierInvoices.ToList() ?? [] : [];
        if (holds.Count == 0)
        {
            throw CaseErrors.FailedPrecondition("NOT_ON_HOLD", held.Name, $"is {held.State} with no supplier invoice on hold");
        }

        var invoice = supplierInvoice.Length > 0 ? supplierInvoice
            : holds.Count == 1 ? holds[0]
            : throw CaseErrors.Invalid("supplier_invoice", "is required when the case holds more than one invoice: one of its held_supplier_invoices");
        if (!holds.Contains(invoice, StringComparer.Ordinal))
        {
            throw CaseErrors.FailedPrecondition("NOT_ON_HOLD", held.Name, "does not hold the supplier_invoice named: see its held_supplier_invoices");
        }

        var operatorName = OperatorOf(subject);
        try
        {
            var released = await invoices.ReleaseSupplierInvoiceHoldAsync(new ReleaseSupplierInvoiceHoldRequest { Name = invoice, Operator = operatorName, Comment = comment }, cancellationToken: ct);
            return new ReleaseHoldResponse { SupplierInvoice = released.Name, Operator = released.HoldReleasedBy };
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
        {
            // Released by another operator, or matched since the case was recorded: procurement says which.
            throw CaseErrors.FailedPrecondition("NOT_ON_HOLD", invoice, $"cannot be released in procurement: {e.Status.Detail}");
        }
    }

    // Procurement records an employee: the token's subject is one ("employees/x" or its id "x"), or the call is refused.
    private static string OperatorOf(string subject)
    {
        var id = subject.StartsWith(Employees, StringComparison.Ordinal) ? subject[Employees.Length..] : subject;
        return ResourceName.IsValidId(id)
            ? Employees + id
            : throw new RpcException(new Status(StatusCode.PermissionDenied, "the bearer token's subject (sub) is not an employee id, which procurement records as the operator who releases a hold"));
    }
}
