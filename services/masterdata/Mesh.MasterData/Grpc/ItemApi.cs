using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.MasterData.Infrastructure;

namespace Mesh.MasterData.Grpc;

/// <summary>
/// mesh.masterdata.v1.ItemService: the item master (AIP standard methods with ETags and request ids) and
/// duplicate detection, so the same supply item is not created twice under different numbers.
/// </summary>
public sealed partial class ItemApi(ItemRepository items) : ItemService.ItemServiceBase
{
    private const int DefaultMinScore = 7000;

    private static readonly HashSet<string> UpdatablePaths = new(StringComparer.Ordinal)
    {
        "description", "manufacturer", "manufacturer_part_number", "supplier_part_numbers", "gtin", "udi_device_identifier",
        "stocking_unit", "category", "unspsc_code", "chargeable", "charge_code", "hcpcs_code", "revenue_code", "billing_unit",
        "charge_price", "standard_cost", "external_ids", "state",
    };

    [GeneratedRegex(@"\Aitems/(?<id>[a-z0-9][a-z0-9-]{0,62})\z")]
    private static partial Regex ItemName();

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]{0,62}\z")]
    private static partial Regex ItemId();

    /// <inheritdoc />
    public override async Task<Item> GetItem(GetItemRequest request, ServerCallContext context)
    {
        var id = IdOf(request.Name, "name");
        return (await items.GetAsync(id, context.CancellationToken)).Item ?? throw NotFound(request.Name);
    }

    /// <inheritdoc />
    public override async Task<ListItemsResponse> ListItems(ListItemsRequest request, ServerCallContext context)
    {
        var size = request.PageSize switch
        {
            < 0 => throw Invalid($"page_size must not be negative (got {request.PageSize})"),
            0 => 100,
            _ => Math.Min(request.PageSize, 1000),
        };
        var ids = await items.IdsAsync(context.CancellationToken);
        var start = request.PageToken.Length == 0 ? 0 : ids.IndexOf(request.PageToken) + 1;
        if (start == 0 && request.PageToken.Length > 0)
        {
            throw Invalid("page_token was not issued by this service");
        }

        var response = new ListItemsResponse();
        var position = start;
        // One bulk read per round, never more ids than the page still has room for.
        while (position < ids.Count && response.Items.Count < size)
        {
            var chunk = ids.Skip(position).Take(size - response.Items.Count).ToList();
            response.Items.AddRange((await items.GetManyAsync(chunk, context.CancellationToken)).Where(item => Matches(item, request)));
            position += chunk.Count;
        }

        response.NextPageToken = position < ids.Count && response.Items.Count == size ? ids[position - 1] : "";
        return response;
    }

    /// <inheritdoc />
    public override async Task<Item> CreateItem(CreateItemRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (request.RequestId.Length > 0 && await items.RequestAsync(request.RequestId, ct) is { } earlier)
        {
            return (await items.GetAsync(earlier, ct)).Item ?? throw new RpcException(new Status(StatusCode.Aborted, $"request_id {request.RequestId} is being processed; retry"));
        }

        var item = request.Item ?? throw Invalid("item is required");
        Validate(item);
        var id = request.ItemId.Length == 0 ? Guid.NewGuid().ToString("N")[..12] : request.ItemId;
        if (!ItemId().IsMatch(id))
        {
            throw Invalid($"item_id '{id}' must be 1-63 lowercase letters, digits or '-', starting with a letter or digit");
        }

        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        var created = item.Clone();
        created.Name = $"items/{id}";
        created.State = created.State == ItemState.Unspecified ? ItemState.Active : created.State;
        created.CreateTime = now;
        created.UpdateTime = now;
        if (!await items.TrySaveAsync(id, created, "", ct))
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"items/{id} already exists"));
        }

        await items.UpdateIndexAsync(ids => ids.Contains(id) ? ids : [.. ids, id], ct);
        if (request.RequestId.Length > 0)
        {
            await items.RememberRequestAsync(request.RequestId, id, ct);
        }

        return (await items.GetAsync(id, ct)).Item!;
    }

    /// <inheritdoc />
    public override async Task<Item> UpdateItem(UpdateItemRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var change = request.Item ?? throw Invalid("item is required");
        var id = IdOf(change.Name, "item.name");
        var paths = request.UpdateMask?.Paths.Count > 0 ? request.UpdateMask.Paths.ToList() : throw Invalid($"update_mask is required; allowed paths: {string.Join(", ", UpdatablePaths)}");
        if (paths.FirstOrDefault(p => !UpdatablePaths.Contains(p)) is { } bad)
        {
            throw Invalid($"update_mask path '{bad}' cannot be updated");
        }

        var (current, etag) = await items.GetAsync(id, ct);
        if (current is null)
        {
            throw NotFound(change.Name);
        }

        if (change.Etag.Length > 0 && change.Etag != etag)
        {
            throw new RpcException(new Status(StatusCode.Aborted, $"{change.Name} changed since etag {change.Etag} (now {etag}); read it again"));
        }

        var updated = current.Clone();
        request.UpdateMask!.Merge(change, updated);
        Validate(updated);
        updated.UpdateTime = Timestamp.FromDateTime(DateTime.UtcNow);
        return await items.TrySaveAsync(id, updated, etag, ct)
            ? (await items.GetAsync(id, ct)).Item!
            : throw new RpcException(new Status(StatusCode.Aborted, $"{change.Name} was changed by another writer; read it again"));
    }

    /// <inheritdoc />
    public override async Task<Empty> DeleteItem(DeleteItemRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var id = IdOf(request.Name, "name");
        var (current, etag) = await items.GetAsync(id, ct);
        if (current is null)
        {
            throw NotFound(request.Name);
        }

        if ((request.Etag.Length > 0 && request.Etag != etag) || !await items.TryDeleteAsync(id, etag, ct))
        {
            throw new RpcException(new Status(StatusCode.Aborted, $"{request.Name} changed since it was read; read it again"));
        }

        await items.UpdateIndexAsync(ids => [.. ids.Where(i => i != id)], ct);
        return new Empty();
    }

    /// <inheritdoc />
    public override async Task<FindDuplicateItemsResponse> FindDuplicateItems(FindDuplicateItemsRequest request, ServerCallContext context)
    {
        var candidate = request.Item ?? throw Invalid("item is required");
        var minimum = request.MinScoreBasisPoints is < 0 or > 10000 ? throw Invalid("min_score_basis_points must be 0 to 10000") : request.MinScoreBasisPoints == 0 ? DefaultMinScore : request.MinScoreBasisPoints;
        var limit = request.MaxMatches <= 0 ? 10 : Math.Min(request.MaxMatches, 100);
        var matches = new List<ItemMatch>();
        foreach (var existing in await items.GetManyAsync(await items.IdsAsync(context.CancellationToken), context.CancellationToken))
        {
            if (existing.Name == candidate.Name)
            {
                continue;
            }

            var (score, fields) = Similarity(candidate, existing);
            if (score >= minimum)
            {
                matches.Add(new ItemMatch { Item = existing, ScoreBasisPoints = score, MatchedFields = { fields } });
            }
        }

        return new FindDuplicateItemsResponse { Matches = { matches.OrderByDescending(m => m.ScoreBasisPoints).Take(limit) } };
    }

    // The strongest identifier that matches decides: GTIN, then manufacturer part number, then supplier part
    // number, else how many description words the two share (Jaccard).
    private static (int Score, List<string> Fields) Similarity(Item candidate, Item existing)
    {
        var fields = new List<string>();
        var score = 0;
        if (candidate.Gtin.Length > 0 && Normalize(candidate.Gtin) == Normalize(existing.Gtin))
        {
            (score, fields) = (10000, ["gtin"]);
        }

        if (candidate.ManufacturerPartNumber.Length > 0 && Normalize(candidate.ManufacturerPartNumber) == Normalize(existing.ManufacturerPartNumber)
            && Normalize(candidate.Manufacturer) == Normalize(existing.Manufacturer))
        {
            score = Math.Max(score, 9500);
            fields.Add("manufacturer_part_number");
        }

        if (candidate.SupplierPartNumbers.Any(c => existing.SupplierPartNumbers.Any(e => e.Supplier == c.Supplier && Normalize(e.PartNumber) == Normalize(c.PartNumber))))
        {
            score = Math.Max(score, 9000);
            fields.Add("supplier_part_numbers");
        }

        var a = Words(candidate.Description);
        var b = Words(existing.Description);
        if (a.Count > 0 && b.Count > 0)
        {
            var jaccard = (int)(8000L * a.Intersect(b).Count() / a.Union(b).Count());
            if (jaccard >= DefaultMinScore / 2)
            {
                fields.Add("description");
            }

            score = Math.Max(score, jaccard);
        }

        return (score, fields);
    }

    private static string Normalize(string value) => new([.. value.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant)]);

    private static HashSet<string> Words(string text) =>
        text.Split([' ', ',', '-', '/', '(', ')'], StringSplitOptions.RemoveEmptyEntries).Select(w => w.ToUpperInvariant()).ToHashSet();

    private static bool Matches(Item item, ListItemsRequest filter) =>
        (filter.State == ItemState.Unspecified || item.State == filter.State)
        && (filter.Category.Length == 0 || item.Category == filter.Category)
        && (filter.Gtin.Length == 0 || Normalize(item.Gtin) == Normalize(filter.Gtin))
        && (filter.ChargeCode.Length == 0 || item.ChargeCode == filter.ChargeCode)
        && (filter.Supplier.Length == 0 || item.SupplierPartNumbers.Any(s => s.Supplier == filter.Supplier));

    private static void Validate(Item item)
    {
        if (string.IsNullOrWhiteSpace(item.Description))
        {
            throw Invalid("item.description is required");
        }

        if (string.IsNullOrWhiteSpace(item.StockingUnit))
        {
            throw Invalid("item.stocking_unit is required (e.g. EA, BX)");
        }

        if (item.Chargeable && string.IsNullOrWhiteSpace(item.ChargeCode))
        {
            throw Invalid("item.charge_code is required when item.chargeable is true");
        }
    }

    private static string IdOf(string name, string field)
    {
        var match = ItemName().Match(name);
        return match.Success ? match.Groups["id"].Value : throw Invalid($"{field} '{name}' is not an item name; expected items/{{item}}");
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private static RpcException NotFound(string name) => new(new Status(StatusCode.NotFound, $"{name} does not exist"));
}
