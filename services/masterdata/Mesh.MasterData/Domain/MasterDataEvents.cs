using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>
/// The events of the item and supplier masters, with ids derived from what happened: "items/x.created", and
/// "items/x.updated-from.{etag}" for the update that replaced that version (one update per version, as ETags make sure).
/// </summary>
public static class MasterDataEvents
{
    /// <summary>ItemCreated for an item as it is created.</summary>
    public static ItemCreated ItemCreated(ContractEvents events, Item item, string requestId) =>
        new() { Context = events.Context($"{item.Name}.created", item.CreateTime.ToDateTimeOffset(), causationId: requestId), Item = item };

    /// <summary>ItemUpdated for <paramref name="updated"/>, which replaces the version <paramref name="previousETag"/>.</summary>
    public static ItemUpdated ItemUpdated(ContractEvents events, Item updated, string previousETag, FieldMask changed) =>
        new() { Context = events.Context($"{updated.Name}.updated-from.{previousETag}", updated.UpdateTime.ToDateTimeOffset()), Item = updated, ChangedFields = changed };

    /// <summary>SupplierCreated for a supplier as it is created.</summary>
    public static SupplierCreated SupplierCreated(ContractEvents events, Supplier supplier, string requestId) =>
        new() { Context = events.Context($"{supplier.Name}.created", supplier.CreateTime.ToDateTimeOffset(), causationId: requestId), Supplier = supplier };
}
