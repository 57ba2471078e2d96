using Dapr.Client;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;
using Microsoft.Extensions.Options;

namespace Mesh.Procurement.Domain;

/// <summary>
/// Supplier invoices: recorded once per supplier and invoice number (SupplierInvoiceReceived), matched three ways
/// (<see cref="ThreeWayMatch"/>) to MATCHED (InvoiceMatched; the billed quantities are added to the order's lines in
/// the same transaction) or ON_HOLD (InvoiceMatchFailed, with each exception), and released from hold by an accounts
/// payable operator, who is recorded.
/// </summary>
public sealed class SupplierInvoices(
    ResourceStore<SupplierInvoice> invoices, ResourceStore<PurchaseOrder> orders, ResourceStore<GoodsReceipt> receipts,
    DaprClient dapr, string store, ContractEvents events, IOptions<ProcurementOptions> options, TimeProvider time)
{
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    /// <summary>Records <paramref name="draft"/> in RECEIVED under <paramref name="invoiceId"/>, or a new id.</summary>
    public async Task<SupplierInvoice> CreateAsync(SupplierInvoice draft, string invoiceId, string requestId, CancellationToken ct)
    {
        if (await invoices.FindByRequestAsync(requestId, ct) is { } earlier)
        {
            return earlier;
        }

        var invoice = draft.Clone();
        ProcurementNames.Require(ProcurementNames.Suppliers, invoice.Supplier, "supplier_invoice.supplier");
        var orderId = ProcurementNames.PurchaseOrders.IdOf(invoice.PurchaseOrder, "supplier_invoice.purchase_order");
        if (invoice.InvoiceNumber.Length == 0 || invoice.InvoiceTime is null)
        {
            throw ResourceErrors.Invalid("supplier_invoice.invoice_number and supplier_invoice.invoice_time are required");
        }

        if (invoice.Total is not { CurrencyCode.Length: 3 } || invoice.Total.ToDecimal() < 0)
        {
            throw ResourceErrors.Invalid("supplier_invoice.total is required: not negative, with its currency_code");
        }

        ValidateLines(invoice);
        var order = await orders.GetAsync(orderId, ct);
        if (order is null || order.Supplier != invoice.Supplier || order.State is PurchaseOrderState.Draft or PurchaseOrderState.PendingApproval or PurchaseOrderState.Approved or PurchaseOrderState.Cancelled)
        {
            throw ResourceErrors.FailedPrecondition("supplier_invoice.purchase_order must be an existing purchase order of the invoice's supplier that was sent to it");
        }

        if (invoice.Lines.FirstOrDefault(l => order.Lines.All(o => o.LineNumber != l.PoLineNumber)) is { } stray)
        {
            throw ResourceErrors.Invalid($"supplier_invoice.lines: po_line_number {stray.PoLineNumber} is not a line of {order.Name}");
        }

        foreach (var line in invoice.Lines.Where(l => l.Item.Length == 0))
        {
            line.Item = order.Lines.First(o => o.LineNumber == line.PoLineNumber).Item;
        }

        var id = ResourceName.NewId(invoiceId, "supplier_invoice_id");
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        invoice.Name = ProcurementNames.SupplierInvoices.Of(id);
        invoice.State = SupplierInvoiceState.Received;
        invoice.MatchStatus = InvoiceMatchStatus.Unmatched;
        invoice.MatchExceptions.Clear();
        invoice.GoodsReceipts.Clear();
        invoice.MatchTime = invoice.HoldReleaseTime = null;
        invoice.HoldReleasedBy = invoice.HoldReleaseComment = "";
        invoice.CreateTime = invoice.UpdateTime = now;
        var received = new SupplierInvoiceReceived { Context = events.Context($"{invoice.Name}.received", now.ToDateTimeOffset(), correlationId: order.Name), SupplierInvoice = invoice };
        return await invoices.CreateAsync(id, invoice, requestId, ct, token => ClaimNumberAsync(invoice, token), [invoices.Announce(id, received)]);
    }

    /// <summary>Runs the three-way match of a RECEIVED or ON_HOLD invoice; a MATCHED one is returned as it is.</summary>
    public Task<SupplierInvoice> MatchAsync(string name, string etag, CancellationToken ct) => ApplyAsync(name, etag, async (invoice, token) =>
    {
        if (invoice.State == SupplierInvoiceState.Matched)
        {
            return null;
        }

        RequireHeldOr(invoice, SupplierInvoiceState.Received, "matched");
        var (orderId, order) = await OrderOfAsync(invoice, token);
        var forOrder = await receipts.InGroupAsync(Receiving.OrderGroup, orderId, token);
        var result = ThreeWayMatch.Match(invoice, order, forOrder, options.Value);
        var matched = Stamp(invoice);
        matched.MatchStatus = result.Status;
        matched.MatchTime = matched.UpdateTime;
        matched.GoodsReceipts.Clear();
        matched.GoodsReceipts.Add(result.Receipts);
        matched.MatchExceptions.Clear();
        matched.MatchExceptions.Add(result.Exceptions);
        if (result.Status == InvoiceMatchStatus.Matched)
        {
            return Accepted(matched, orderId, order);
        }

        if (invoice.State == SupplierInvoiceState.OnHold && invoice.MatchStatus == result.Status && invoice.MatchExceptions.SequenceEqual(result.Exceptions))
        {
            // Nothing changed since the last match: no second InvoiceMatchFailed for the same hold.
            return null;
        }

        matched.State = SupplierInvoiceState.OnHold;
        return new Change<SupplierInvoice>(matched, new InvoiceMatchFailed
        {
            Context = events.Context($"{invoice.Name}.match-failed.{invoice.Etag}", matched.UpdateTime.ToDateTimeOffset(), correlationId: order.Name),
            SupplierInvoice = matched.Name,
            Supplier = matched.Supplier,
            InvoiceNumber = matched.InvoiceNumber,
            DueTime = matched.DueTime,
            PurchaseOrder = order.Name,
            PoNumber = order.PoNumber,
            Buyer = order.Buyer,
            MatchStatus = result.Status,
            MatchExceptions = { result.Exceptions },
            Total = matched.Total,
        });
    }, ct);

    /// <summary>Releases an ON_HOLD invoice as billed, recording <paramref name="operatorName"/> and why.</summary>
    public Task<SupplierInvoice> ReleaseHoldAsync(string name, string operatorName, string comment, string etag, CancellationToken ct)
    {
        ProcurementNames.Require(ProcurementNames.Employees, operatorName, "operator");
        return ApplyAsync(name, etag, async (invoice, token) =>
        {
            if (invoice.State == SupplierInvoiceState.Matched && invoice.HoldReleasedBy == operatorName)
            {
                return null;
            }

            RequireHeldOr(invoice, SupplierInvoiceState.OnHold, "released");
            var (orderId, order) = await OrderOfAsync(invoice, token);
            var released = Stamp(invoice);
            released.HoldReleasedBy = operatorName;
            released.HoldReleaseComment = comment;
            released.HoldReleaseTime = released.UpdateTime;
            return Accepted(released, orderId, order);
        }, ct);
    }

    private static void ValidateLines(SupplierInvoice invoice)
    {
        if (invoice.Lines.Count == 0)
        {
            throw ResourceErrors.Invalid("supplier_invoice.lines must have at least one line");
        }

        for (var i = 0; i < invoice.Lines.Count; i++)
        {
            var line = invoice.Lines[i];
            var field = $"supplier_invoice.lines[{i}]";
            Amounts.RequirePositive(line.InvoicedQuantity, $"{field}.invoiced_quantity");
            foreach (var (money, name) in new[] { (line.UnitPrice, "unit_price"), (line.Amount, "amount") })
            {
                if (money is null || money.CurrencyCode != invoice.Total.CurrencyCode || money.ToDecimal() < 0)
                {
                    throw ResourceErrors.Invalid($"{field}.{name} is required: not negative, in the currency of supplier_invoice.total");
                }
            }

            ProcurementNames.Optional(ProcurementNames.Items, line.Item, $"{field}.item");
        }
    }

    // MATCHED, with the billed quantities added to the order's lines at the order's ETag, announcing InvoiceMatched.
    private Change<SupplierInvoice> Accepted(SupplierInvoice invoice, string orderId, PurchaseOrder order)
    {
        invoice.State = SupplierInvoiceState.Matched;
        var updated = order.Clone();
        foreach (var line in invoice.Lines)
        {
            var target = updated.Lines.First(l => l.LineNumber == line.PoLineNumber);
            target.InvoicedQuantity = Quantity.Of(Amounts.Of(target.InvoicedQuantity) + line.InvoicedQuantity.ToDecimal(), target.OrderedQuantity.Unit);
        }

        updated.State = PurchaseOrderRules.AfterQuantitiesChanged(updated);
        updated.UpdateTime = invoice.UpdateTime;
        return new Change<SupplierInvoice>(invoice, new InvoiceMatched
        {
            Context = events.Context($"{invoice.Name}.matched", invoice.UpdateTime.ToDateTimeOffset(), correlationId: order.Name),
            SupplierInvoice = invoice.Name,
            Supplier = invoice.Supplier,
            InvoiceNumber = invoice.InvoiceNumber,
            InvoiceTime = invoice.InvoiceTime,
            DueTime = invoice.DueTime,
            PaymentTerms = invoice.PaymentTerms,
            PurchaseOrder = order.Name,
            PoNumber = order.PoNumber,
            BillToCostCenter = order.BillToCostCenter,
            GoodsReceipts = { invoice.GoodsReceipts },
            Lines = { invoice.Lines },
            Tax = invoice.Tax,
            Freight = invoice.Freight,
            Total = invoice.Total,
            ExternalIds = { invoice.ExternalIds },
        }, [orders.ReplaceOperation(orderId, updated, order.Etag)]);
    }

    private async Task<(string Id, PurchaseOrder Order)> OrderOfAsync(SupplierInvoice invoice, CancellationToken ct)
    {
        var orderId = ProcurementNames.PurchaseOrders.IdOf(invoice.PurchaseOrder, "purchase_order");
        return (orderId, await orders.GetAsync(orderId, ct) ?? throw ResourceErrors.FailedPrecondition($"{invoice.PurchaseOrder} does not exist any more"));
    }

    // The supplier's invoice number is claimed in the create's transaction, so a second invoice with it is ALREADY_EXISTS.
    private async Task<IEnumerable<StateTransactionRequest>> ClaimNumberAsync(SupplierInvoice invoice, CancellationToken ct)
    {
        var key = $"supplier-invoice-number:{Uri.EscapeDataString(invoice.Supplier)}/{Uri.EscapeDataString(invoice.InvoiceNumber)}";
        var holder = await dapr.GetStateAsync<string?>(store, key, cancellationToken: ct);
        return holder is not null && holder != invoice.Name
            ? throw ResourceErrors.AlreadyExists($"an invoice of {invoice.Supplier} with this invoice_number ({holder})")
            : [new StateTransactionRequest(key, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(invoice.Name), StateOperationType.Upsert, options: FirstWrite)];
    }

    private static void RequireHeldOr(SupplierInvoice invoice, SupplierInvoiceState state, string what)
    {
        if (invoice.State != state && invoice.State != SupplierInvoiceState.OnHold)
        {
            throw ResourceErrors.FailedPrecondition(
                $"{invoice.Name} is {ProcurementNames.StateName(invoice.State, "SUPPLIER_INVOICE_STATE_")} and cannot be {what}");
        }
    }

    private SupplierInvoice Stamp(SupplierInvoice invoice)
    {
        var changed = invoice.Clone();
        changed.UpdateTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        return changed;
    }

    private Task<SupplierInvoice> ApplyAsync(string name, string etag, Func<SupplierInvoice, CancellationToken, Task<Change<SupplierInvoice>?>> decide, CancellationToken ct) =>
        Transitions.ApplyAsync(invoices, ProcurementNames.SupplierInvoices.IdOf(name, "name"), name, etag, decide, ct);
}
