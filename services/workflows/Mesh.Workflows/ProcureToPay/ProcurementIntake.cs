using Dapr.Workflow;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.ProcureToPay;

/// <summary>
/// Turns procurement's events into the procure-to-pay sagas' inputs: RequisitionSubmitted starts the requisition's
/// saga (its instance id is derived from the requisition, so a redelivery finds it there); decisions and what
/// happens to the saga's orders are raised to it as external events. The saga handles each document once, so a
/// duplicate delivery changes nothing, and the runtime keeps an event raised before the saga waits for it.
/// </summary>
public sealed class ProcurementIntake(
    DaprWorkflowClient workflows, PurchaseOrderService.PurchaseOrderServiceClient orders, ProcureToPayCases cases, ProcureToPayMetrics metrics, IOptions<ProcureToPayOptions> options, ILogger<ProcurementIntake> logger)
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The saga's input for a submitted requisition: the approver chain from the level its estimated total reaches.</summary>
    public RequisitionCase CaseOf(Requisition requisition)
    {
        var settings = options.Value;
        var total = requisition.EstimatedTotal?.ToDecimal() ?? 0m;
        var first = settings.ApprovalLevels.FindIndex(l => total <= l.UpTo);
        var approvers = settings.ApprovalLevels.Skip(first < 0 ? settings.ApprovalLevels.Count - 1 : first).Select(l => l.Approver).ToList();
        return new RequisitionCase(requisition.Name, approvers, settings.EscalationWindow, settings.InvoiceReceiptWindow,
            new InventoryToCharge.SagaRetry(settings.StepAttempts, settings.ErpAttempts, settings.FirstRetryInterval, settings.MaxRetryInterval));
    }

    /// <summary>Starts the saga of a submitted requisition, unless it exists.</summary>
    public async Task<IResult> SubmittedAsync(HttpRequest request, CancellationToken ct)
    {
        if (await ReadAsync<RequisitionSubmitted>(request, ct) is not { Requisition.Name.Length: > 0 } submitted)
        {
            return Drop("the data is not a RequisitionSubmitted");
        }

        var instanceId = ProcureToPayIds.InstanceIdOf(submitted.Requisition.Name["requisitions/".Length..]);
        if (await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, ct) is { Exists: true })
        {
            return Results.Ok();
        }

        try
        {
            await workflows.ScheduleNewWorkflowAsync(nameof(ProcureToPayWorkflow), instanceId, CaseOf(submitted.Requisition), null, ct);
            metrics.Started(instanceId);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            // A concurrent delivery started it.
        }

        return Results.Ok();
    }

    /// <summary>Raises a decision to the requisition's saga.</summary>
    public async Task<IResult> DecidedAsync(HttpRequest request, bool approved, CancellationToken ct)
    {
        var (requisition, decision) = approved
            ? await ReadAsync<RequisitionApproved>(request, ct) is { } a ? (a.Requisition, new Decision(true, a.Approver, "")) : ("", null)
            : await ReadAsync<RequisitionRejected>(request, ct) is { } r ? (r.Requisition, new Decision(false, r.Reviewer, r.Reason)) : ("", null);
        return decision is null || !requisition.StartsWith("requisitions/", StringComparison.Ordinal)
            ? Drop("the data is not a requisition decision")
            : await RaiseAsync(ProcureToPayIds.InstanceIdOf(requisition["requisitions/".Length..]), ProcureToPayWorkflow.DecisionEvent, decision, ct);
    }

    /// <summary>Raises something that happened to a purchase order to the saga of the requisition it was placed for.</summary>
    public async Task<IResult> OrderSignalAsync<T>(HttpRequest request, Func<T, OrderSignal> signalOf, CancellationToken ct)
        where T : class, IMessage<T>, new()
    {
        if (await ReadAsync<T>(request, ct) is not { } message || signalOf(message) is not { PurchaseOrder.Length: > 0 } signal)
        {
            return Drop($"the data is not a {typeof(T).Name}");
        }

        PurchaseOrder order;
        try
        {
            order = await orders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = signal.PurchaseOrder }, cancellationToken: ct);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            return Drop($"{signal.PurchaseOrder} does not exist");
        }

        // Orders placed outside a saga have no requisition to follow them.
        var requisition = order.Lines.Select(l => l.Requisition).FirstOrDefault(r => r.StartsWith("requisitions/", StringComparison.Ordinal));
        if (requisition is null)
        {
            return Results.Ok();
        }

        // The case search finds the requisition's case by its receipts and invoices too.
        await cases.Store.RecordDocumentsAsync(requisition["requisitions/".Length..], [signal.PurchaseOrder, signal.Document], ct);
        return await RaiseAsync(ProcureToPayIds.InstanceIdOf(requisition["requisitions/".Length..]), ProcureToPayWorkflow.OrderEvent, signal, ct);
    }

    private async Task<IResult> RaiseAsync(string instanceId, string name, object payload, CancellationToken ct)
    {
        if (await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, ct) is not { Exists: true } state || state.IsWorkflowCompleted)
        {
            logger.LogInformation("No running saga {InstanceId} for a {Event} event", instanceId, name);
            return Results.Ok();
        }

        await workflows.RaiseEventAsync(instanceId, name, payload, ct);
        return Results.Ok();
    }

    private static async Task<T?> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class, IMessage<T>, new()
    {
        try
        {
            using var reader = new StreamReader(request.Body);
            return Parser.Parse<T>(await reader.ReadToEndAsync(ct));
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException)
        {
            return null;
        }
    }

    private IResult Drop(string reason)
    {
        logger.LogWarning("Dropped a procurement event: {Reason}", reason);
        return Results.Ok(new { status = "DROP" });
    }
}
