using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Gateway.Forwarding;

namespace Mesh.Gateway.Surface;

/// <summary>
/// The partner surface, in one place: each contract service partners may call, the app behind it, the gateway class
/// that forwards its partner RPCs (the RPCs it overrides), and how a partner's data is scoped. The RPCs themselves and
/// their scopes are declared in the contracts with <c>(mesh.options.v1.partner_access)</c>.
/// </summary>
public static class PartnerServices
{
    // A procurement document belongs to the supplier in its `supplier` field, which its list requests filter by.
    private static readonly DataScope SupplierOwned = new("supplier", ListFilter: "supplier", OwnerPath: "supplier", Required: true);

    /// <summary>Every service of the partner surface.</summary>
    public static IReadOnlyList<PartnerService> All { get; } =
    [
        // The item catalog: a supplier sees the items it sells; other partners see the whole catalog.
        PartnerService.Of<ItemCatalogForwarder>(ItemService.Descriptor, "masterdata", new DataScope("supplier", ListFilter: "supplier", OwnerPath: "supplier_part_numbers.supplier", Required: false)),
        // Charges for billing vendors; patient data is projected away unless the token carries phi.read / pii.read.
        PartnerService.Of<ChargeForwarder>(ChargeService.Descriptor, "charges", scope: null),
        // Suppliers' purchase orders and invoices: required, so a client without a supplier sees none.
        PartnerService.Of<PurchaseOrderForwarder>(PurchaseOrderService.Descriptor, "procurement", SupplierOwned),
        PartnerService.Of<SupplierInvoiceForwarder>(SupplierInvoiceService.Descriptor, "procurement", SupplierOwned),
    ];
}

/// <summary>One contract service on the partner surface.</summary>
/// <param name="Contract">The service's descriptor.</param>
/// <param name="Forwarder">The gateway class implementing the service's generated base.</param>
/// <param name="DefaultAppId">The Dapr app id of the service behind it (Gateway:AppIds overrides it).</param>
/// <param name="Scope">How a partner's own data is told apart, or null when every partner sees the same.</param>
/// <param name="Map">Maps the forwarder as a gRPC service.</param>
public sealed record PartnerService(
    Google.Protobuf.Reflection.ServiceDescriptor Contract, Type Forwarder, string DefaultAppId, DataScope? Scope, Action<IEndpointRouteBuilder> Map)
{
    /// <summary>The service forwarded by <typeparamref name="TForwarder"/>.</summary>
    public static PartnerService Of<TForwarder>(Google.Protobuf.Reflection.ServiceDescriptor contract, string appId, DataScope? scope)
        where TForwarder : class =>
        new(contract, typeof(TForwarder), appId, scope, endpoints => endpoints.MapGrpcService<TForwarder>());
}
