using Dapr.Workflow;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Workflows.ProcureToPay.Activities;

// Each activity is one step against a service, through the sidecar. A refusal the saga acts on comes back as a
// result with its reason; anything transient throws, so the workflow runtime retries it with backoff. Every write
// carries a request id or resource id derived from the requisition, the order or the receipt, so a retried step
// finds what it did before instead of doing it twice.

/// <summary>
/// Checks each line against master data: the item exists and is ACTIVE, it is requisitioned in its stocking unit, a
/// supplier sells it (the line's suggested one, else the item's preferred one) and that supplier is ACTIVE, and a price
/// is known: the supplier's contract price when a contract prices the line (<see cref="ContractPricing"/>), else the
/// line's estimate, else the item's standard cost.
/// </summary>
public sealed class ValidateRequisition(
    ProcureToPayMetrics metrics,
    RequisitionService.RequisitionServiceClient requisitions, ItemService.ItemServiceClient items, SupplierService.SupplierServiceClient suppliers,
    ContractPricing contracts)
    : WorkflowActivity<RequisitionCase, RequisitionCheck>
{
    /// <inheritdoc />
    public override async Task<RequisitionCheck> RunAsync(WorkflowActivityContext context, RequisitionCase input)
    {
        metrics.Progressed(context.InstanceId, nameof(ValidateRequisition));
        var requisition = await requisitions.GetRequisitionAsync(new GetRequisitionRequest { Name = input.Requisition });
        var sourced = new List<SourcedLine>();
        foreach (var line in requisition.Lines)
        {
            var at = $"lines[{line.LineNumber}]";
            var item = await Lookup.FindAsync(() => items.GetItemAsync(new GetItemRequest { Name = line.Item }).ResponseAsync);
            if (item is null || item.State != ItemState.Active)
            {
                return Refused("unknown_item", $"{at}.item {line.Item} {(item is null ? "does not exist in master data" : "is not ACTIVE")}");
            }

            if (line.Quantity.Unit != item.StockingUnit)
            {
                return Refused("unit_mismatch", $"{at}.quantity is in {line.Quantity.Unit}, {line.Item} is stocked in {item.StockingUnit}");
            }

            var supplierName = line.SuggestedSupplier.Length > 0 ? line.SuggestedSupplier
                : (item.SupplierPartNumbers.FirstOrDefault(p => p.Preferred) ?? item.SupplierPartNumbers.FirstOrDefault())?.Supplier ?? "";
            var supplier = supplierName.Length == 0 ? null : await Lookup.FindAsync(() => suppliers.GetSupplierAsync(new GetSupplierRequest { Name = supplierName }).ResponseAsync);
            if (supplier is null || supplier.State != SupplierState.Active)
            {
                return Refused("inactive_supplier", supplierName.Length == 0
                    ? $"{at}: no supplier sells {line.Item} (supplier_part_numbers) and the line suggests none"
                    : $"{at}.suggested_supplier {supplierName} {(supplier is null ? "does not exist in master data" : "is not ACTIVE")}");
            }

            var contract = await contracts.PriceAsync(supplier.Name, line, at);
            if (contract.Refusal is { } refusal)
            {
                return Refused(refusal.Reason, refusal.Detail);
            }

            var price = contract.Price?.ContractPrice.Price ?? line.EstimatedUnitPrice ?? item.StandardCost;
            if (price is null || price.ToDecimal() <= 0)
            {
                return Refused("unpriced_item", $"{at}: neither a contract, the line nor {line.Item} (standard_cost) has a price");
            }

            sourced.Add(new SourcedLine(line.LineNumber, line.Item, line.Quantity.ToDecimal(), line.Quantity.Unit, supplier.Name, price.ToDecimal(), price.CurrencyCode)
            {
                Contract = contract.Price?.Contract ?? "",
                SupplierPartNumber = contract.Price?.ContractPrice.SupplierPartNumber ?? "",
            });
        }

        return new RequisitionCheck(true, "", "", sourced);
    }

    private static RequisitionCheck Refused(string reason, string detail) => new(false, reason, detail, []);
}

/// <summary>Routes the requisition to an approver (again, to escalate); answers its state, and the decision if it was made.</summary>
public sealed class RouteRequisition(ProcureToPayMetrics metrics, RequisitionService.RequisitionServiceClient requisitions) : WorkflowActivity<RouteTo, Routed>
{
    /// <inheritdoc />
    public override async Task<Routed> RunAsync(WorkflowActivityContext context, RouteTo input)
    {
        metrics.Progressed(context.InstanceId, nameof(RouteRequisition));
        var routed = await requisitions.RouteRequisitionAsync(new RouteRequisitionRequest { Name = input.Requisition, Approver = input.Approver });
        return new Routed(routed.State.ToString(), routed.Reviewer, routed.ReviewComment);
    }
}

/// <summary>Cancels a requisition the saga refused, so nothing is left waiting on it.</summary>
public sealed class CancelRequisition(ProcureToPayMetrics metrics, RequisitionService.RequisitionServiceClient requisitions) : WorkflowActivity<Cancellation, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(WorkflowActivityContext context, Cancellation input)
    {
        metrics.Progressed(context.InstanceId, nameof(CancelRequisition));
        foreach (var name in input.Names)
        {
            await requisitions.CancelRequisitionAsync(new CancelRequisitionRequest { Name = name, Reason = input.Reason });
        }

        return true;
    }
}

/// <summary>
/// Places one purchase order per supplier (ids "{requisition id}-{n}"), submits it, approves it in the requisition
/// approver's name and sends it through the ERP; UNAVAILABLE from the ERP throws, and the runtime retries the step
/// (as it runs it again when the app died during it), which finds the orders it made and takes each on from its state.
/// </summary>
public sealed class PlaceOrders(
    ProcureToPayMetrics metrics, ProcureToPayCases cases,
    RequisitionService.RequisitionServiceClient requisitions, PurchaseOrderService.PurchaseOrderServiceClient orders, Microsoft.Extensions.Options.IOptions<ProcureToPayOptions> options)
    : WorkflowActivity<OrdersToPlace, List<string>>
{
    /// <inheritdoc />
    public override async Task<List<string>> RunAsync(WorkflowActivityContext context, OrdersToPlace input)
    {
        metrics.Progressed(context.InstanceId, nameof(PlaceOrders));
        var requisition = await requisitions.GetRequisitionAsync(new GetRequisitionRequest { Name = input.Case.Requisition });
        var requisitionId = input.Case.Requisition["requisitions/".Length..];
        var placed = new List<string>();
        var bySupplier = input.Lines.GroupBy(l => l.Supplier).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < bySupplier.Count; i++)
        {
            var lines = bySupplier[i].ToList();
            var order = new PurchaseOrder
            {
                Supplier = bySupplier[i].Key,
                BillToCostCenter = requisition.CostCenter,
                ShipToLocation = requisition.DeliverToLocation,
                Buyer = options.Value.Buyer,
                CurrencyCode = lines[0].Currency,
            };
            order.Lines.Add(lines.Select((l, n) => new PurchaseOrderLine
            {
                LineNumber = n + 1,
                Item = l.Item,
                OrderedQuantity = Quantity.Of(l.Quantity, l.Unit),
                UnitPrice = Money.Of(l.Currency, l.UnitPrice),
                Requisition = input.Case.Requisition,
                RequisitionLineNumber = l.LineNumber,
                Contract = l.Contract,
                SupplierPartNumber = l.SupplierPartNumber,
            }));
            var id = $"{requisitionId}-{i + 1}";
            // A repeated request id returns the order as it is now: a step run again (after an ERP outage, or its
            // worker killed mid-run) carries on from where the last attempt left it; submitting it twice is refused.
            var created = await orders.CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest { PurchaseOrder = order, PurchaseOrderId = id, RequestId = $"{input.Case.Requisition}:{id}" });
            var name = created.Name;
            // Findable by its order from now on, even if sending it fails.
            await cases.Store.RecordDocumentsAsync(requisitionId, [name], CancellationToken.None);
            if (created.State == PurchaseOrderState.Draft)
            {
                await orders.SubmitPurchaseOrderAsync(new SubmitPurchaseOrderRequest { Name = name });
            }

            await orders.ApprovePurchaseOrderAsync(new ApprovePurchaseOrderRequest { Name = name, Approver = input.Approver, Comment = $"approved with {input.Case.Requisition}" });
            await orders.SendPurchaseOrderAsync(new SendPurchaseOrderRequest { Name = name });
            placed.Add(name);
        }

        return placed;
    }
}

/// <summary>NOT_FOUND (or a malformed name) means "no such thing"; anything else is left to the runtime's retries.</summary>
internal static class Lookup
{
    public static async Task<T?> FindAsync<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            return null;
        }
    }
}
