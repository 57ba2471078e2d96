using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Contracting.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.Scenarios;

/// <summary>What a procure-to-pay run does: how many requisitions, and the shares of rejections, partial receipts, price mismatches and duplicate deliveries.</summary>
public sealed record ProcureToPaySpec(int Requisitions, double Rejected, double Partial, double PriceMismatch, double Duplicates, int Locations = 4);

/// <summary>
/// Plays every party of procure-to-pay against a running mesh, through one sidecar: the ward submits requisitions,
/// the approver decides them (the saga prices contracted items at their contract price), the dock receives the goods (some in two deliveries), the supplier invoices them (some
/// above the agreed price) and, for some, the pub/sub delivers an event twice. The procurement app and the ProcureToPay
/// saga do the rest; <see cref="ReconcileAsync"/> then sets what every system holds against the cases.
/// </summary>
public sealed class ProcureToPayScenario(MeshClients mesh)
{
    private static readonly TimeSpan StockSettle = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Settling = TimeSpan.FromMilliseconds(250);

    /// <summary>The saga's flow.</summary>
    public const string Flow = "flows/procure-to-pay";

    private static readonly (string Id, string Supplier, decimal Cost)[] Catalog =
        [("p2p-gauze-4x4", "p2p-medline", 0.25m), ("p2p-suture-3-0", "p2p-cardinal", 3.85m), ("p2p-glove-m", "p2p-medline", 0.12m)];

    /// <summary>The contract the run's medline items are bought under, and its prices per item (each in EA), below their standard costs.</summary>
    public const string Contract = "contracts/p2p-medline-2030";

    private static readonly Dictionary<string, decimal> ContractPrices = new(StringComparer.Ordinal) { ["items/p2p-gauze-4x4"] = 0.22m, ["items/p2p-glove-m"] = 0.10m };

    /// <summary>Creates the suppliers, items, contract and cost center the run buys with; what exists already is kept.</summary>
    public async Task SeedAsync(CancellationToken ct)
    {
        foreach (var supplier in Catalog.Select(c => c.Supplier).Distinct())
        {
            await IgnoreExisting(() => mesh.Suppliers.CreateSupplierAsync(new CreateSupplierRequest { SupplierId = supplier, Supplier = new Supplier { DisplayName = supplier, LegalName = $"{supplier} Inc." } }, cancellationToken: ct).ResponseAsync);
        }

        foreach (var (id, supplier, cost) in Catalog)
        {
            await IgnoreExisting(() => mesh.Items.CreateItemAsync(new CreateItemRequest
            {
                ItemId = id,
                Item = new Item { Description = id, StockingUnit = "EA", StandardCost = Money.Of("USD", cost), SupplierPartNumbers = { new SupplierPartNumber { Supplier = $"suppliers/{supplier}", PartNumber = $"P-{id}", Preferred = true } } },
            }, cancellationToken: ct).ResponseAsync);
        }

        await IgnoreExisting(() => mesh.Contracts.CreateContractAsync(new CreateContractRequest
        {
            ContractId = Contract["contracts/".Length..],
            Contract = new Contract
            {
                Supplier = "suppliers/p2p-medline",
                ContractNumber = "MS-P2P-2030",
                Title = "Ward consumables",
                GpoName = "Vizient",
                StartTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero)),
                State = ContractState.Active,
                Prices = { ContractPrices.Select(p => new ContractPrice { Item = p.Key, Price = Money.Of("USD", p.Value), Unit = "EA" }) },
            },
        }, cancellationToken: ct).ResponseAsync);

        await IgnoreExisting(() => mesh.CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest
        {
            CostCenterId = "p2p-4410",
            CostCenter = new CostCenter { Code = "P4410", CompanyCode = "1000", DisplayName = "Procure-to-pay demo ward" },
        }, cancellationToken: ct).ResponseAsync);
    }

    /// <summary>Runs one requisition through every party; returns what the run did to it.</summary>
    public async Task<RunRecord> RunAsync(int index, string runId, ProcureToPaySpec spec, TimeSpan timeout, CancellationToken ct)
    {
        var created = await mesh.Requisitions.CreateRequisitionAsync(RequisitionOf(index, runId, spec), cancellationToken: ct);
        var lines = created.Lines;
        var submitted = await mesh.Requisitions.SubmitRequisitionAsync(new SubmitRequisitionRequest { Name = created.Name }, cancellationToken: ct);
        var routed = await UntilAsync(() => mesh.Requisitions.GetRequisitionAsync(new GetRequisitionRequest { Name = created.Name }, cancellationToken: ct).ResponseAsync, r => r.Approver.Length > 0, timeout, ct);
        var record = new RunRecord(created.Name, created.DeliverToLocation, submitted.SubmitTime.ToDateTimeOffset());
        if (Pick(index, 1, spec.Rejected))
        {
            await mesh.Requisitions.RejectRequisitionAsync(new RejectRequisitionRequest { Name = created.Name, Reviewer = routed.Approver, Reason = "over budget" }, cancellationToken: ct);
            record.Rejected = true;
            return record;
        }

        await mesh.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = created.Name, Reviewer = routed.Approver }, cancellationToken: ct);
        var suppliers = lines.Select(l => Catalog.First(c => $"items/{c.Id}" == l.Item).Supplier).Distinct().Count();
        for (var n = 1; n <= suppliers; n++)
        {
            var order = await UntilAsync(() => Find(() => mesh.PurchaseOrders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = $"purchaseOrders/{created.Name["requisitions/".Length..]}-{n}" }, cancellationToken: ct).ResponseAsync),
                o => o?.State == PurchaseOrderState.Sent, timeout, ct);
            record.Orders.Add(order!);
            await ReceiveAndInvoiceAsync(index * 10 + n, order!, spec, record, ct);
        }

        return record;
    }

    /// <summary>The ward's requisition <paramref name="index"/> of a run: one or two catalog items, delivered to one of the run's locations.</summary>
    public static CreateRequisitionRequest RequisitionOf(int index, string runId, ProcureToPaySpec spec)
    {
        var random = new Random(index);
        var lines = Catalog.OrderBy(_ => random.Next()).Take(1 + random.Next(2)).Select(c => new RequisitionLine { Item = $"items/{c.Id}", Quantity = Quantity.Of(2 * (5 + random.Next(10)), "EA") });
        return new CreateRequisitionRequest
        {
            RequestId = $"{runId}-{index}",
            Requisition = new Requisition { Requester = "employees/ward-nurse", CostCenter = "costCenters/p2p-4410", DeliverToLocation = $"locations/p2p-{runId}-{index % spec.Locations}", Lines = { lines } },
        };
    }

    /// <summary>The dock's receipt of <paramref name="share"/> of every line of <paramref name="order"/>.</summary>
    public static CreateGoodsReceiptRequest ReceiptOf(PurchaseOrder order, decimal share) => new()
    {
        RequestId = $"{order.Name}:{share}",
        GoodsReceipt = new GoodsReceipt
        {
            PurchaseOrder = order.Name,
            ReceivedBy = "employees/dock",
            Lines = { order.Lines.Select(l => new GoodsReceiptLine { PoLineNumber = l.LineNumber, ReceivedQuantity = Quantity.Of(l.OrderedQuantity.ToDecimal() * share, l.OrderedQuantity.Unit) }) },
        },
    };

    /// <summary>The supplier's invoice of all of <paramref name="order"/>, its prices times <paramref name="markup"/>, dated <paramref name="invoiceTime"/>.</summary>
    public static CreateSupplierInvoiceRequest InvoiceOf(PurchaseOrder order, decimal markup, DateTimeOffset invoiceTime)
    {
        var invoice = new SupplierInvoice
        {
            Supplier = order.Supplier,
            PurchaseOrder = order.Name,
            InvoiceNumber = $"INV-{order.PoNumber}",
            InvoiceTime = Timestamp.FromDateTimeOffset(invoiceTime.UtcDateTime.Date),
        };
        foreach (var line in order.Lines)
        {
            var price = Math.Round(line.UnitPrice.ToDecimal() * markup, 2);
            invoice.Lines.Add(new SupplierInvoiceLine { PoLineNumber = line.LineNumber, InvoicedQuantity = line.OrderedQuantity, UnitPrice = Money.Of("USD", price), Amount = Money.Of("USD", Math.Round(price * line.OrderedQuantity.ToDecimal(), 2)) });
        }

        invoice.Total = Money.Of("USD", invoice.Lines.Sum(l => l.Amount.ToDecimal()));
        return new CreateSupplierInvoiceRequest { SupplierInvoice = invoice, RequestId = $"{order.Name}:invoice" };
    }

    private async Task ReceiveAndInvoiceAsync(int seed, PurchaseOrder order, ProcureToPaySpec spec, RunRecord record, CancellationToken ct)
    {
        var deliveries = Pick(seed, 2, spec.Partial) ? new[] { 0.4m, 0.6m } : [1m];
        foreach (var share in deliveries)
        {
            var receipt = await mesh.Receipts.CreateGoodsReceiptAsync(ReceiptOf(order, share), cancellationToken: ct);
            record.Receipts.Add(receipt);
            if (Pick(seed, 3, spec.Duplicates))
            {
                // The pub/sub delivers the receipt's event a second time, as an at-least-once broker may.
                await mesh.Dapr.PublishByteEventAsync(mesh.PubSub, "procurement.events",
                    System.Text.Encoding.UTF8.GetBytes(Google.Protobuf.JsonFormatter.Default.Format(new GoodsReceived { GoodsReceipt = receipt.Name, PurchaseOrder = order.Name, PurchaseOrderState = PurchaseOrderState.PartiallyReceived })),
                    "application/json", new Dictionary<string, string> { ["cloudevent.type"] = GoodsReceived.Descriptor.FullName }, ct);
                record.DuplicatesSent++;
            }
        }

        var markup = Pick(seed, 4, spec.PriceMismatch) ? 1.10m : 1m;
        record.Invoices.Add(await mesh.Invoices.CreateSupplierInvoiceAsync(InvoiceOf(order, markup, record.SubmitTime), cancellationToken: ct));
    }

    /// <summary>The cases of the run's requisitions once each settled: completed, or on the queue for a hold.</summary>
    public async Task<List<Case>> AwaitSettledAsync(IReadOnlyList<RunRecord> records, TimeSpan timeout, CancellationToken ct)
    {
        var names = records.Select(r => $"{Flow}/cases/{r.Requisition["requisitions/".Length..]}").ToList();
        return await LastReadingAsync(async () =>
        {
            var cases = new List<Case>();
            foreach (var chunk in names.Chunk(1000))
            {
                cases.AddRange((await mesh.Cases.BatchGetCasesAsync(new BatchGetCasesRequest { Parent = Flow, Names = { chunk } }, cancellationToken: ct)).Cases);
            }

            return cases.Where(c => c.State == CaseState.Completed || (c.State == CaseState.Exception && c.Reason.StartsWith("invoice_", StringComparison.Ordinal))).ToList();
        }, settled => settled.Count == names.Count, timeout, Settling, ct);
    }

    /// <summary>Sets what procurement, inventory, finance and the ERP hold against the run's records and cases.</summary>
    public async Task<ProcureToPayReport> ReconcileAsync(IReadOnlyList<RunRecord> records, IReadOnlyList<Case> cases, IReadOnlyDictionary<string, decimal> startingStock, CancellationToken ct)
    {
        var erpOrders = await ErpExport.AllAsync<ErpOrder>(mesh.Erp, "/erp/v1/purchase-orders", o => o.OrderId, ct);
        var erpEntries = await ErpExport.AllAsync<ErpEntry>(mesh.Erp, "/erp/v1/journal-entries", e => e.DocumentNumber, ct);
        var invoices = new List<SupplierInvoice>();
        foreach (var invoice in records.SelectMany(r => r.Invoices))
        {
            invoices.Add(await mesh.Invoices.GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = invoice.Name }, cancellationToken: ct));
        }

        var received = records.SelectMany(r => r.Receipts.SelectMany(g => g.Lines.Select(l => (Balance: $"{g.ReceivingLocation}/balances/{l.Item["items/".Length..]}", Quantity: l.ReceivedQuantity.ToDecimal()))))
            .GroupBy(x => x.Balance).ToDictionary(g => g.Key, g => g.Sum(x => x.Quantity));
        // A case held for its invoice is settled while the saga may still be moving an earlier receipt into stock, so
        // the balances get a while to catch up before one that has not is counted as off.
        var stockOff = await LastReadingAsync(async () =>
        {
            var off = 0;
            foreach (var (balance, quantity) in received)
            {
                var onHand = (await mesh.Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = balance }, cancellationToken: ct)).OnHand.ToDecimal();
                off += onHand - startingStock.GetValueOrDefault(balance) == quantity ? 0 : 1;
            }

            return off;
        }, off => off == 0, StockSettle, Settling, ct);

        var poNumbers = records.SelectMany(r => r.Orders.Select(o => o.PoNumber)).ToHashSet(StringComparer.Ordinal);
        var invoiceNames = invoices.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var postings = erpEntries.Where(e => invoiceNames.Contains(e.Entry.Reference)).ToList();
        var acknowledged = erpOrders.Where(o => poNumbers.Contains(o.Order.Reference)).ToList();
        var contractLines = records.SelectMany(r => r.Orders).SelectMany(o => o.Lines).Where(l => ContractPrices.ContainsKey(l.Item)).ToList();
        var firstOrders = records.Where(r => r.Orders.Count > 0).Select(r => (r.Orders.Min(o => o.CreateTime.ToDateTimeOffset()) - r.SubmitTime).TotalMilliseconds).Order().ToList();
        var receiptToPosting = postings.Select(p => (p.PostedAt - records.SelectMany(r => r.Receipts).Where(g => invoices.First(i => i.Name == p.Entry.Reference).PurchaseOrder == g.PurchaseOrder).Max(g => g.CreateTime.ToDateTimeOffset())).TotalMilliseconds).Order().ToList();
        return new ProcureToPayReport(
            records.Count,
            cases.Count,
            cases.Count(c => c.ProcureToPay.Outcome == "completed"),
            cases.Count(c => c.ProcureToPay.Outcome == "rejected"),
            cases.Where(c => c.State == CaseState.Exception).GroupBy(c => c.Reason).ToDictionary(g => g.Key, g => g.Count()),
            poNumbers.Count,
            acknowledged.Count,
            contractLines.Count,
            contractLines.Count(l => l.Contract != Contract || l.UnitPrice.ToDecimal() != ContractPrices[l.Item]),
            records.Sum(r => r.Receipts.Count),
            received.Count,
            stockOff,
            invoices.Count(i => i.State == SupplierInvoiceState.Matched),
            invoices.Where(i => i.State == SupplierInvoiceState.OnHold).GroupBy(i => i.MatchStatus.ToString()).ToDictionary(g => g.Key, g => g.Count()),
            postings.Count,
            records.Sum(r => r.DuplicatesSent),
            (acknowledged.Count - acknowledged.Select(o => o.Order.Reference).Distinct().Count()) + (postings.Count - postings.Select(p => p.Entry.Reference).Distinct().Count()),
            ReconciliationReport.Percentile(firstOrders, 0.5),
            ReconciliationReport.Percentile(firstOrders, 0.95),
            ReconciliationReport.Percentile(receiptToPosting, 0.5),
            ReconciliationReport.Percentile(receiptToPosting, 0.95));
    }

    // A deterministic pick per requisition (or order) and purpose, so a run with the same spec does the same.
    private static bool Pick(int seed, int purpose, double share) => new Random(seed * 7919 + purpose).NextDouble() < share;

    private static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, CancellationToken ct)
    {
        var value = await LastReadingAsync(read, done, timeout, TimeSpan.FromMilliseconds(100), ct);
        return done(value) ? value : throw new TimeoutException("the saga did not get there in time");
    }

    // Reads until the reading is done or the timeout has passed, and returns the last reading either way.
    private static async Task<T> LastReadingAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, TimeSpan interval, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTimeOffset.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(interval, ct);
        }
    }

    private static async Task<T?> Find<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task IgnoreExisting<T>(Func<Task<T>> create)
    {
        try
        {
            await create();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            // Seeded by an earlier run.
        }
    }

    private sealed record ErpOrder(string OrderId, string Status, ErpOrderBody Order);

    private sealed record ErpOrderBody(string Reference);

    private sealed record ErpEntry(string DocumentNumber, DateTimeOffset PostedAt, ErpEntryBody Entry);

    private sealed record ErpEntryBody(string Reference);
}

/// <summary>What a run did to one requisition.</summary>
public sealed class RunRecord(string requisition, string location, DateTimeOffset submitTime)
{
    /// <summary>The requisition.</summary>
    public string Requisition { get; } = requisition;

    /// <summary>Where its goods go.</summary>
    public string Location { get; } = location;

    /// <summary>When it was submitted.</summary>
    public DateTimeOffset SubmitTime { get; } = submitTime;

    /// <summary>True when the approver rejected it.</summary>
    public bool Rejected { get; set; }

    /// <summary>The orders the saga sent for it.</summary>
    public List<PurchaseOrder> Orders { get; } = [];

    /// <summary>The receipts the dock recorded.</summary>
    public List<GoodsReceipt> Receipts { get; } = [];

    /// <summary>The invoices the suppliers sent.</summary>
    public List<SupplierInvoice> Invoices { get; } = [];

    /// <summary>Events delivered a second time.</summary>
    public int DuplicatesSent { get; set; }
}
