using Dapr.Client;
using Dapr.Workflow;
using Mesh.Contracts.Workflows.V1;
using Mesh.Workflows.Cases;
using Mesh.Workflows.InventoryToCharge;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.ProcureToPay;

/// <summary>The procure-to-pay cases and exception queue, in the same case store machinery as every flow.</summary>
public sealed class ProcureToPayCases(DaprClient dapr, IOptions<InventoryToChargeOptions> shared, ProcureToPayMetrics metrics, TimeProvider time)
{
    /// <summary>The flow's cases and exception queue; its depth by reason goes to the KPIs.</summary>
    public CaseStore Store { get; } = new(dapr, shared.Value.StateStore, ProcureToPayIds.FlowId, time, metrics.QueueDepth);
}

/// <summary>The procure-to-pay saga as the case API sees it. Its cases are not replayed: a held invoice is released in procurement, and the waiting saga resumes.</summary>
public sealed class ProcureToPayFlow(ProcureToPayCases cases) : ICaseFlow
{
    /// <inheritdoc />
    public string Id => ProcureToPayIds.FlowId;

    /// <inheritdoc />
    public CaseStore Cases => cases.Store;

    /// <inheritdoc />
    public string InstanceIdOf(string caseId) => ProcureToPayIds.InstanceIdOf(caseId);

    /// <inheritdoc />
    public Task<bool> ReplayAsync(Case exception, string replayId, CancellationToken ct) =>
        throw CaseErrors.FailedPrecondition("NOT_REPLAYABLE", exception.Name,
            "is not replayed: release an invoice hold with ReleaseSupplierInvoiceHold (mesh.procurement.v1), and the waiting saga resumes; a refused requisition is submitted again as a new one");
}
