using Dapr.Client;
using Grpc.Core;
using Mesh.Contracts.Contracting.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.ErpStandIn;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Mesh.Runtime.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.ProcureToPay.Tests;

/// <summary>
/// The procure-to-pay mesh on real parts: redis-server, a sidecar per app, the ERP stand-in, master data, inventory,
/// finance, procurement and the workflows app, each hosted through its own Program. Tests act through the sidecar of
/// "clinic". The approvers' window is long here; <see cref="EscalationClockMesh"/> runs the workflow engine on a clock a
/// test moves past it.
/// </summary>
public class ProcureToPayMesh : IAsyncLifetime
{
    private TestMesh mesh = null!;
    private DaprClient publisher = null!;

    /// <summary>How long an approver has.</summary>
    public virtual TimeSpan EscalationWindow => TimeSpan.FromHours(1);

    /// <summary>How long a case may begin no step before it counts as stalled.</summary>
    public virtual TimeSpan StalledAfter => TimeSpan.FromDays(7);

    public RequisitionService.RequisitionServiceClient Requisitions { get; private set; } = null!;

    public PurchaseOrderService.PurchaseOrderServiceClient Orders { get; private set; } = null!;

    public GoodsReceiptService.GoodsReceiptServiceClient Receipts { get; private set; } = null!;

    public SupplierInvoiceService.SupplierInvoiceServiceClient Invoices { get; private set; } = null!;

    public InventoryService.InventoryServiceClient Inventory { get; private set; } = null!;

    public CaseService.CaseServiceClient Cases { get; private set; } = null!;

    /// <summary>Clients of the mesh through the clinic's sidecar, as the demo's scenario uses them.</summary>
    public Mesh.Scenarios.MeshClients Clients { get; private set; } = null!;

    /// <summary>The workflows app's services (it is hosted in this process).</summary>
    public IServiceProvider Workflows => mesh.ServicesOf("workflows");

    /// <summary>Where the workflows app listens (its /metrics, over HTTP/2).</summary>
    public Uri WorkflowsAddress => mesh.AddressOf("workflows");

    /// <summary>The ERP stand-in's purchase orders (the first thousand), read from its book in the state store.</summary>
    public async Task<List<ErpPurchaseOrder>> ErpOrdersAsync() =>
        (await mesh.ServicesOf("erp").GetRequiredService<PurchaseOrderBook>().OrdersAsync(null, 1000, CancellationToken.None))!;

    /// <summary>The ERP stand-in's chaos switch.</summary>
    public Chaos ErpChaos => mesh.ServicesOf("erp").GetRequiredService<Chaos>();

    /// <summary>
    /// Delivers <paramref name="message"/> on procurement's topic once more, as the outbox's at-least-once delivery may,
    /// with its contract type as the CloudEvent type.
    /// </summary>
    public Task RedeliverAsync(Google.Protobuf.IMessage message) =>
        publisher.PublishByteEventAsync("pubsub", "procurement.events", System.Text.Encoding.UTF8.GetBytes(Google.Protobuf.JsonFormatter.Default.Format(message)), "application/json",
            new Dictionary<string, string> { ["cloudevent.type"] = message.Descriptor.FullName, ["cloudevent.id"] = Guid.NewGuid().ToString("N") });

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(
            [
                InventoryToChargeApps.Erp(),
                InventoryToChargeApps.MasterData(),
                InventoryToChargeApps.Inventory(),
                InventoryToChargeApps.Finance(),
                InventoryToChargeApps.Procurement(),
                WorkflowsApp(new Dictionary<string, string?>
                {
                    ["Workflows:ProcureToPay:EscalationWindow"] = EscalationWindow.ToString(),
                    ["Workflows:ProcureToPay:StalledAfter"] = StalledAfter.ToString(),
                    ["Workflows:ProcureToPay:InvoiceReceiptWindow"] = "1.00:00:00",
                    ["Workflows:ProcureToPay:FirstRetryInterval"] = "00:00:00.250",
                    ["Workflows:ProcureToPay:MaxRetryInterval"] = "00:00:01",
                }),
                TestApp.Client("clinic"),
            ],
            ResiliencySpec.None,
            workflowClock: WorkflowClock);
        var (grpc, http) = (mesh.GrpcEndpointOf("clinic"), mesh.HttpEndpointOf("clinic"));
        CallInvoker To(string app) => DaprClient.CreateInvocationInvoker(app, grpc);
        publisher = new DaprClientBuilder().UseGrpcEndpoint(grpc).Build();
        Clients = new Mesh.Scenarios.MeshClients(grpc, http);
        Requisitions = new(To("procurement"));
        Orders = new(To("procurement"));
        Receipts = new(To("procurement"));
        Invoices = new(To("procurement"));
        Inventory = new(To("inventory"));
        Cases = new(To("workflows"));
        await SeedAsync(To("masterdata"));
    }

    /// <summary>The mesh, for fixtures that act on its apps.</summary>
    protected TestMesh Mesh => mesh;

    /// <summary>The workflow engine's clock; null for the system clock.</summary>
    protected virtual TimeProvider? WorkflowClock => null;

    /// <summary>The workflows app with <paramref name="settings"/>: in this process here.</summary>
    protected virtual TestApp WorkflowsApp(IReadOnlyDictionary<string, string?> settings) => InventoryToChargeApps.Workflows(settings);

    public async Task DisposeAsync()
    {
        publisher.Dispose();
        Clients.Dispose();
        await mesh.DisposeAsync();
    }

    /// <summary>
    /// Creates and submits a requisition for <paramref name="lines"/> (item, quantity in EA) delivered to a location of
    /// its own; returns it with its location.
    /// </summary>
    public Task<Requisition> SubmitAsync(params (string Item, decimal Quantity)[] lines) =>
        SubmitAsync([.. lines.Select(l => new RequisitionLine { Item = l.Item, Quantity = Quantity.Of(l.Quantity, "EA") })]);

    /// <summary>Creates and submits a requisition for <paramref name="lines"/> delivered to a location of its own.</summary>
    public async Task<Requisition> SubmitAsync(params RequisitionLine[] lines)
    {
        var requisition = new Requisition
        {
            Requester = "employees/nurse-7",
            CostCenter = "costCenters/cc-4410",
            DeliverToLocation = $"locations/{$"or-{Guid.NewGuid():N}"[..15]}",
        };
        requisition.Lines.Add(lines);
        var created = await Requisitions.CreateRequisitionAsync(new CreateRequisitionRequest { Requisition = requisition });
        return await Requisitions.SubmitRequisitionAsync(new SubmitRequisitionRequest { Name = created.Name });
    }

    /// <summary>Runs the demo's procure-to-pay scenario (<paramref name="spec"/>) through the mesh until its cases settle.</summary>
    public async Task<(ProcureToPayScenario Scenario, RunRecord[] Records, List<Case> Cases)> RunScenarioAsync(ProcureToPaySpec spec)
    {
        var scenario = new ProcureToPayScenario(Clients);
        await scenario.SeedAsync(CancellationToken.None);
        var runId = Guid.NewGuid().ToString("N")[..8];
        var records = await Task.WhenAll(Enumerable.Range(0, spec.Requisitions).Select(i => scenario.RunAsync(i, runId, spec, TimeSpan.FromSeconds(60), CancellationToken.None)));
        return (scenario, records, await scenario.AwaitSettledAsync(records, TimeSpan.FromSeconds(90), CancellationToken.None));
    }

    /// <summary>
    /// Releases the hold of <paramref name="held"/> through the case API, as an operator with <paramref name="token"/>
    /// (none when null) releases it.
    /// </summary>
    public Task<ReleaseHoldResponse> ReleaseHoldAsync(Case held, string? token, string comment = "price increase agreed", string requestId = "") =>
        Cases.ReleaseHoldAsync(
            new ReleaseHoldRequest { Name = held.Name, Comment = comment, RequestId = requestId },
            token is null ? [] : new Metadata { { "authorization", $"Bearer {token}" } }).ResponseAsync;

    /// <summary>A requisition approved, ordered and received whose invoice bills 4.50 for a 3.85 suture: its case on hold.</summary>
    public async Task<(Requisition Requisition, SupplierInvoice Invoice, Case Held)> HeldAsync()
    {
        var requisition = await SubmitAsync(("items/suture-3-0", 20));
        await RoutedToAsync(requisition, "employees/ward-manager");
        await Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = requisition.Name, Reviewer = "employees/ward-manager" });
        var order = await SentOrderAsync(requisition, 1);
        await ReceiveAsync(order, 20);
        var invoice = await InvoiceAsync(order, unitPrice: 4.50m);
        return (requisition, invoice, await CaseAsync(requisition, CaseState.Exception, "invoice_price_variance"));
    }

    /// <summary>The CloudEvents published on <paramref name="topic"/>, e.g. the workflows app's audit trail.</summary>
    public Task<List<System.Text.Json.Nodes.JsonNode>> PublishedAsync(string topic) => mesh.PublishedAsync(topic);

    /// <summary>Waits until the requisition is routed to <paramref name="approver"/>.</summary>
    public Task RoutedToAsync(Requisition requisition, string approver) =>
        EventuallyAsync(async () => (await Requisitions.GetRequisitionAsync(new GetRequisitionRequest { Name = requisition.Name })).Approver == approver, $"{requisition.Name} routed to {approver}");

    /// <summary>The saga's order <paramref name="n"/> for the requisition, once sent.</summary>
    public async Task<PurchaseOrder> SentOrderAsync(Requisition requisition, int n)
    {
        var name = $"purchaseOrders/{requisition.Name["requisitions/".Length..]}-{n}";
        PurchaseOrder? order = null;
        await EventuallyAsync(async () =>
        {
            order = await Find(() => Orders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = name }).ResponseAsync);
            return order?.State == PurchaseOrderState.Sent;
        }, $"{name} sent");
        return order!;
    }

    /// <summary>Receives <paramref name="quantity"/> on line 1 of <paramref name="order"/>.</summary>
    public Task<GoodsReceipt> ReceiveAsync(PurchaseOrder order, decimal quantity) =>
        Receipts.CreateGoodsReceiptAsync(new CreateGoodsReceiptRequest
        {
            GoodsReceipt = new GoodsReceipt
            {
                PurchaseOrder = order.Name,
                ReceivedBy = "employees/dock-1",
                Lines = { new GoodsReceiptLine { PoLineNumber = 1, ReceivedQuantity = Quantity.Of(quantity, "EA") } },
            },
        }).ResponseAsync;

    /// <summary>Receives line 1 of <paramref name="order"/> in full, in its ordered unit.</summary>
    public Task<GoodsReceipt> ReceiveAllAsync(PurchaseOrder order) =>
        Receipts.CreateGoodsReceiptAsync(new CreateGoodsReceiptRequest
        {
            GoodsReceipt = new GoodsReceipt
            {
                PurchaseOrder = order.Name,
                ReceivedBy = "employees/dock-1",
                Lines = { new GoodsReceiptLine { PoLineNumber = 1, ReceivedQuantity = order.Lines[0].OrderedQuantity } },
            },
        }).ResponseAsync;

    /// <summary>Invoices line 1 of <paramref name="order"/> in full at <paramref name="unitPrice"/> (the order's price when null).</summary>
    public Task<SupplierInvoice> InvoiceAsync(PurchaseOrder order, decimal? unitPrice = null)
    {
        var line = order.Lines[0];
        var price = unitPrice ?? line.UnitPrice.ToDecimal();
        var amount = Math.Round(price * line.OrderedQuantity.ToDecimal(), 2);
        return Invoices.CreateSupplierInvoiceAsync(new CreateSupplierInvoiceRequest
        {
            SupplierInvoice = new SupplierInvoice
            {
                Supplier = order.Supplier,
                PurchaseOrder = order.Name,
                InvoiceNumber = $"INV-{Guid.NewGuid():N}"[..16],
                InvoiceTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.Date),
                Lines = { new SupplierInvoiceLine { PoLineNumber = 1, InvoicedQuantity = line.OrderedQuantity, UnitPrice = Money.Of("USD", price), Amount = Money.Of("USD", amount) } },
                Total = Money.Of("USD", amount),
            },
        }).ResponseAsync;
    }

    /// <summary>The requisition's case once it is in <paramref name="state"/> (with <paramref name="reason"/> when given).</summary>
    public async Task<Case> CaseAsync(Requisition requisition, CaseState state, string? reason = null)
    {
        var name = $"flows/procure-to-pay/cases/{requisition.Name["requisitions/".Length..]}";
        Case? found = null;
        await EventuallyAsync(async () =>
        {
            found = await Find(() => Cases.GetCaseAsync(new GetCaseRequest { Name = name }).ResponseAsync);
            return found?.State == state && (reason is null || found.Reason == reason);
        }, $"{name} {state} {reason}");
        return found!;
    }

    /// <summary>Waits for <paramref name="condition"/>, up to 90 s.</summary>
    public async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited 90 s for {what}");
            }

            await Task.Delay(100);
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

    // Two active suppliers, one inactive, the items they sell (in EA, gloves in BX) and the cost center finance posts
    // to; medline's contract prices gloves at 7.20 a box and drapes only by the case.
    private static async Task SeedAsync(CallInvoker masterData)
    {
        var suppliers = new SupplierService.SupplierServiceClient(masterData);
        foreach (var (id, state) in new[] { ("medline", SupplierState.Active), ("cardinal", SupplierState.Active), ("defunct", SupplierState.Inactive) })
        {
            await suppliers.CreateSupplierAsync(new CreateSupplierRequest { SupplierId = id, Supplier = new Supplier { DisplayName = id, LegalName = $"{id} Inc.", State = state } });
        }

        var items = new ItemService.ItemServiceClient(masterData);
        foreach (var (id, supplier, cost, unit) in new[]
        {
            ("gauze-4x4", "medline", 0.25m, "EA"), ("suture-3-0", "cardinal", 3.85m, "EA"), ("stent-old", "defunct", 985m, "EA"),
            ("glove-nitrile-m", "medline", 9.50m, "BX"), ("drape-lap", "medline", 4.10m, "EA"),
        })
        {
            await items.CreateItemAsync(new CreateItemRequest
            {
                ItemId = id,
                Item = new Item
                {
                    Description = id,
                    StockingUnit = unit,
                    StandardCost = Money.Of("USD", cost),
                    SupplierPartNumbers = { new SupplierPartNumber { Supplier = $"suppliers/{supplier}", PartNumber = $"P-{id}", Preferred = true } },
                },
            });
        }

        await new ContractService.ContractServiceClient(masterData).CreateContractAsync(new CreateContractRequest
        {
            ContractId = "medline-gloves",
            Contract = new Contract
            {
                Supplier = "suppliers/medline",
                ContractNumber = "MS01234",
                Title = "Exam gloves and drapes",
                StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-30)),
                State = ContractState.Active,
                Prices =
                {
                    new ContractPrice { Item = "items/glove-nitrile-m", SupplierPartNumber = "MDS195084", Price = Money.Of("USD", 7.20m), Unit = "BX" },
                    new ContractPrice { Item = "items/drape-lap", Price = Money.Of("USD", 38m), Unit = "CS" },
                },
            },
        });

        await new CostCenterService.CostCenterServiceClient(masterData).CreateCostCenterAsync(new CreateCostCenterRequest
        {
            CostCenterId = "cc-4410",
            CostCenter = new CostCenter { Code = "4410", CompanyCode = "1000", DisplayName = "Central Sterile Supply" },
        });
    }
}

/// <summary>
/// The procure-to-pay mesh with the approvers' window of production (two days) on a fake clock (<see cref="Clock"/>):
/// the workflow engine's timers and the workflows app's TimeProvider run on it, everything else on the real clock.
/// </summary>
public sealed class EscalationClockMesh : ProcureToPayMesh
{
    /// <summary>The workflow engine's and the workflows app's clock.</summary>
    /// <remarks>It starts at the real time, so the case timestamps it stamps stay beside the other apps'.</remarks>
    public ArmedTimersClock Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <inheritdoc />
    public override TimeSpan EscalationWindow => TimeSpan.FromDays(2);

    /// <inheritdoc />
    protected override TimeProvider? WorkflowClock => Clock;

    /// <inheritdoc />
    protected override TestApp WorkflowsApp(IReadOnlyDictionary<string, string?> settings) =>
        InventoryToChargeApps.Workflows(settings, Clock);
}

/// <summary>The mesh with the workflows app as a real process, so a test can SIGKILL it mid-run and start it again.</summary>
public sealed class WorkflowsProcessMesh : ProcureToPayMesh
{
    /// <summary>Kills the workflows app's process and starts it again behind the same sidecar.</summary>
    public async Task KillAndRestartWorkflowsAsync()
    {
        await Mesh.AppOf<ChildApp>("workflows").KillAsync();
        await Mesh.RestartAppAsync("workflows");
    }

    /// <inheritdoc />
    protected override TestApp WorkflowsApp(IReadOnlyDictionary<string, string?> settings) => InventoryToChargeApps.WorkflowsProcess(settings);
}

/// <summary>
/// The procure-to-pay mesh where a case waiting eight hours for its approver counts as stalled, with the workflows app
/// (whose clock the stalled-case view reads) on a fake clock (<see cref="Clock"/>) a test moves; the workflow engine's
/// timers stay on the real clock.
/// </summary>
public sealed class StalledMesh : ProcureToPayMesh
{
    /// <summary>The workflows app's clock.</summary>
    /// <remarks>It starts at the real time, so the case timestamps it stamps stay beside the other apps'.</remarks>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <inheritdoc />
    public override TimeSpan StalledAfter => TimeSpan.FromHours(8);

    /// <inheritdoc />
    protected override TestApp WorkflowsApp(IReadOnlyDictionary<string, string?> settings) => InventoryToChargeApps.Workflows(settings, Clock);
}
