using Dapr;
using Mesh.Contracts.Contracting.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Resources;
using Mesh.Workflows.Cases;
using Mesh.Workflows.InventoryToCharge;
using Mesh.Workflows.ProcureToPay;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the procure-to-pay saga: its settings, its clients of procurement and master data, its event intake and its cases.</summary>
public static class ProcureToPayExtensions
{
    private const string Topic = "procurement.events";

    /// <summary>
    /// Registers the saga's settings ("Workflows:ProcureToPay"), gRPC clients through the sidecar (procurement, and
    /// master data's suppliers and contract prices; items, inventory and finance are the inventory-to-charge saga's clients), intake and case flow.
    /// </summary>
    public static IHostApplicationBuilder AddProcureToPay(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<ProcureToPayOptions>(builder.Configuration.GetSection("Workflows:ProcureToPay"));
        var procurement = SidecarInvocation.For(builder.Configuration, "procurement");
        builder.Services.AddSingleton(new RequisitionService.RequisitionServiceClient(procurement));
        builder.Services.AddSingleton(new PurchaseOrderService.PurchaseOrderServiceClient(procurement));
        builder.Services.AddSingleton(new GoodsReceiptService.GoodsReceiptServiceClient(procurement));
        builder.Services.AddSingleton(new SupplierInvoiceService.SupplierInvoiceServiceClient(procurement));
        var masterData = SidecarInvocation.For(builder.Configuration, "masterdata");
        builder.Services.AddSingleton(new SupplierService.SupplierServiceClient(masterData));
        builder.Services.AddSingleton(new ContractService.ContractServiceClient(masterData));
        builder.Services.AddSingleton<ContractPricing>();
        builder.Services.AddSingleton<ProcureToPayMetrics>();
        builder.Services.AddSingleton<ProcureToPayCases>();
        builder.Services.AddSingleton<ProcurementIntake>();
        builder.Services.AddSingleton<ICaseFlow, ProcureToPayFlow>();
        return builder;
    }

    /// <summary>Maps one route per procurement event the saga follows, each by a routing rule on the CloudEvent type.</summary>
    public static WebApplication MapProcureToPay(this WebApplication app)
    {
        var pubsub = app.Services.GetRequiredService<IOptions<InventoryToChargeOptions>>().Value.PubSub;
        var priority = 0;
        void On<T>(string path, Func<HttpRequest, ProcurementIntake, CancellationToken, Task<IResult>> handle)
            where T : Google.Protobuf.IMessage<T>, new() =>
            app.MapPost($"/procure-to-pay/{path}", handle).WithTopic(new TopicOptions { PubsubName = pubsub, Name = Topic, Match = $"event.type == \"{new T().Descriptor.FullName}\"", Priority = ++priority });

        On<RequisitionSubmitted>("submitted", (r, intake, ct) => intake.SubmittedAsync(r, ct));
        On<RequisitionApproved>("approved", (r, intake, ct) => intake.DecidedAsync(r, approved: true, ct));
        On<RequisitionRejected>("rejected", (r, intake, ct) => intake.DecidedAsync(r, approved: false, ct));
        On<GoodsReceived>("received", (r, intake, ct) => intake.OrderSignalAsync<GoodsReceived>(r, e => new(Kinds.Received, e.PurchaseOrder, e.GoodsReceipt), ct));
        On<GoodsReceiptReversed>("reversed", (r, intake, ct) => intake.OrderSignalAsync<GoodsReceiptReversed>(r, e => new(Kinds.Reversed, e.GoodsReceipt.PurchaseOrder, e.GoodsReceipt.Name), ct));
        On<SupplierInvoiceReceived>("invoiced", (r, intake, ct) => intake.OrderSignalAsync<SupplierInvoiceReceived>(r, e => new(Kinds.Invoiced, e.SupplierInvoice.PurchaseOrder, e.SupplierInvoice.Name), ct));
        On<InvoiceMatched>("matched", (r, intake, ct) => intake.OrderSignalAsync<InvoiceMatched>(r, e => new(Kinds.Matched, e.PurchaseOrder, e.SupplierInvoice), ct));
        On<PurchaseOrderCancelled>("cancelled", (r, intake, ct) => intake.OrderSignalAsync<PurchaseOrderCancelled>(r, e => new(Kinds.Cancelled, e.PurchaseOrder, e.PurchaseOrder), ct));
        return app;
    }
}
