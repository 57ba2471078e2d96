using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Grpc;

/// <summary>
/// mesh.masterdata.v1.ItemService: the item master (AIP standard methods with ETags and request ids) and
/// duplicate detection, so the same supply item is not created twice under different numbers.
/// </summary>
public sealed class ItemApi(ResourceStore<Item> items, UniqueIdentifiers<Item> identifiers, ContractEvents events) : ItemService.ItemServiceBase
{
    /// <summary>The items collection.</summary>
    internal static readonly ResourceName Items = new("items");

    private static readonly HashSet<string> UpdatablePaths = new(StringComparer.Ordinal)
    {
        "description", "manufacturer", "manufacturer_part_number", "supplier_part_numbers", "gtin", "udi_device_identifier",
        "stocking_unit", "category", "unspsc_code", "chargeable", "charge_code", "hcpcs_code", "revenue_code", "billing_unit",
        "charge_price", "standard_cost", "external_ids", "state",
    };

    /// <inheritdoc />
    public override async Task<Item> GetItem(GetItemRequest request, ServerCallContext context) =>
        await items.GetAsync(Items.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListItemsResponse> ListItems(ListItemsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await items.IdsAsync(ct), request.PageSize, request.PageToken, ids => items.GetManyAsync(ids, ct), item => Matches(item, request));
        return new ListItemsResponse { Items = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override async Task<Item> CreateItem(CreateItemRequest request, ServerCallContext context)
    {
        var item = request.Item?.Clone() ?? throw ResourceErrors.Invalid("item is required");
        Validate(item);
        var id = ResourceName.NewId(request.ItemId, "item_id");
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        item.Name = Items.Of(id);
        item.State = item.State == ItemState.Unspecified ? ItemState.Active : item.State;
        item.CreateTime = now;
        item.UpdateTime = now;
        var created = await items.CreateAsync(id, item, request.RequestId, context.CancellationToken, ct => identifiers.ClaimAsync(id, item, ct));
        // After the item is stored; a retry with the same request_id publishes the same event (same id) again.
        await events.PublishAsync(
            new ItemCreated { Context = events.Context($"{created.Name}.created", created.CreateTime.ToDateTimeOffset(), causationId: request.RequestId), Item = created },
            context.CancellationToken);
        return created;
    }

    /// <inheritdoc />
    public override async Task<Item> UpdateItem(UpdateItemRequest request, ServerCallContext context)
    {
        var change = request.Item ?? throw ResourceErrors.Invalid("item is required");
        var id = Items.IdOf(change.Name, "item.name");
        var saved = await StandardMethods.UpdateAsync(items, id, change, request.UpdateMask, UpdatablePaths, updated =>
        {
            Validate(updated);
            updated.UpdateTime = Timestamp.FromDateTime(DateTime.UtcNow);
        }, context.CancellationToken, (updated, ct) => identifiers.ClaimAsync(id, updated, ct));
        await events.PublishAsync(
            new ItemUpdated { Context = events.Context($"{saved.Name}.updated.{saved.Etag}", saved.UpdateTime.ToDateTimeOffset()), Item = saved, ChangedFields = request.UpdateMask },
            context.CancellationToken);
        return saved;
    }

    /// <inheritdoc />
    public override async Task<Empty> DeleteItem(DeleteItemRequest request, ServerCallContext context)
    {
        await StandardMethods.DeleteAsync(items, Items.IdOf(request.Name, "name"), request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    /// <inheritdoc />
    public override async Task<FindDuplicateItemsResponse> FindDuplicateItems(FindDuplicateItemsRequest request, ServerCallContext context)
    {
        var candidate = request.Item ?? throw ResourceErrors.Invalid("item is required");
        var minimum = Matching.MinScore(request.MinScoreBasisPoints);
        var existing = await items.AllAsync(context.CancellationToken);
        var matches = Matching.Best(existing.Where(e => e.Name != candidate.Name), e => Similarity(candidate, e), minimum, Matching.MaxMatches(request.MaxMatches));
        return new FindDuplicateItemsResponse { Matches = { matches.Select(m => new ItemMatch { Item = m.Resource, ScoreBasisPoints = m.Score, MatchedFields = { m.Fields } }) } };
    }

    // The strongest identifier that matches decides: GTIN, then manufacturer part number, then supplier part
    // number, else how many description words the two share (Jaccard).
    private static (int Score, List<string> Fields) Similarity(Item candidate, Item existing)
    {
        var fields = new List<string>();
        var score = 0;
        if (Matching.SameIdentifier(candidate.Gtin, existing.Gtin))
        {
            (score, fields) = (10000, ["gtin"]);
        }

        if (Matching.SameIdentifier(candidate.ManufacturerPartNumber, existing.ManufacturerPartNumber)
            && Matching.Normalize(candidate.Manufacturer) == Matching.Normalize(existing.Manufacturer))
        {
            score = Math.Max(score, 9500);
            fields.Add("manufacturer_part_number");
        }

        if (candidate.SupplierPartNumbers.Any(c => existing.SupplierPartNumbers.Any(e => e.Supplier == c.Supplier && Matching.SameIdentifier(e.PartNumber, c.PartNumber))))
        {
            score = Math.Max(score, 9000);
            fields.Add("supplier_part_numbers");
        }

        var overlap = Matching.WordOverlap(Matching.Words(candidate.Description), Matching.Words(existing.Description));
        if (overlap >= Matching.AgreeingOverlap)
        {
            fields.Add("description");
        }

        return (Math.Max(score, overlap), fields);
    }

    /// <summary>
    /// The identifiers no two items may share: the GTIN (leading zeros dropped, so a GTIN-12 and its GTIN-14 form
    /// are one) and the UDI device identifier.
    /// </summary>
    internal static IEnumerable<UniqueIdentifier> IdentifiersOf(Item item)
    {
        if (Matching.Normalize(item.Gtin).TrimStart('0') is { Length: > 0 } gtin)
        {
            yield return new UniqueIdentifier("item.gtin", "gtin", gtin);
        }

        if (Matching.Normalize(item.UdiDeviceIdentifier) is { Length: > 0 } udi)
        {
            yield return new UniqueIdentifier("item.udi_device_identifier", "udi-di", udi);
        }
    }

    private static bool Matches(Item item, ListItemsRequest filter) =>
        (filter.State == ItemState.Unspecified || item.State == filter.State)
        && (filter.Category.Length == 0 || item.Category == filter.Category)
        && (filter.Gtin.Length == 0 || Matching.SameIdentifier(item.Gtin, filter.Gtin))
        && (filter.ChargeCode.Length == 0 || item.ChargeCode == filter.ChargeCode)
        && (filter.Supplier.Length == 0 || item.SupplierPartNumbers.Any(s => s.Supplier == filter.Supplier));

    private static void Validate(Item item)
    {
        if (string.IsNullOrWhiteSpace(item.Description))
        {
            throw ResourceErrors.Invalid("item.description is required");
        }

        if (string.IsNullOrWhiteSpace(item.StockingUnit))
        {
            throw ResourceErrors.Invalid("item.stocking_unit is required (e.g. EA, BX)");
        }

        if (item.Chargeable && string.IsNullOrWhiteSpace(item.ChargeCode))
        {
            throw ResourceErrors.Invalid("item.charge_code is required when item.chargeable is true");
        }

        if (item.Chargeable && (item.ChargePrice is null || item.ChargePrice.ToDecimal() <= 0 || item.ChargePrice.CurrencyCode.Length == 0))
        {
            throw ResourceErrors.Invalid("item.charge_price is required when item.chargeable is true (a positive chargemaster price with its currency)");
        }

        for (var i = 0; i < item.SupplierPartNumbers.Count; i++)
        {
            var part = item.SupplierPartNumbers[i];
            if (string.IsNullOrWhiteSpace(part.Supplier) || string.IsNullOrWhiteSpace(part.PartNumber))
            {
                throw ResourceErrors.Invalid($"item.supplier_part_numbers[{i}] needs both supplier and part_number");
            }
        }

        if (item.SupplierPartNumbers.GroupBy(p => p.Supplier, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            throw ResourceErrors.Invalid($"item.supplier_part_numbers has {repeated.Count()} numbers for {repeated.Key}; at most one per supplier");
        }

        if (item.SupplierPartNumbers.Count(p => p.Preferred) > 1)
        {
            throw ResourceErrors.Invalid("item.supplier_part_numbers has more than one preferred supplier; at most one per item");
        }
    }
}
