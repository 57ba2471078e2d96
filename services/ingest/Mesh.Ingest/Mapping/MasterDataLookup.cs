using System.Collections.Concurrent;
using Grpc.Core;
using Mesh.Contracts;
using Mesh.Contracts.MasterData.V1;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Mapping;

/// <summary>
/// Resolves the codes clinical and supplier systems send to master data resources, through the sidecar: charge
/// codes and GTINs to items, department codes (locations' external ids of the department system) to locations and
/// their cost centers, supplier codes to suppliers. Found resources are reused for a short while; a code not found
/// is asked again next time, so a fix in master data is seen at once by a replay.
/// </summary>
public sealed class MasterDataLookup(
    ItemService.ItemServiceClient items,
    LocationService.LocationServiceClient locations,
    SupplierService.SupplierServiceClient suppliers,
    IOptions<IngestOptions> options,
    TimeProvider clock)
{
    private static readonly HashSet<string> GtinSystems = new(StringComparer.OrdinalIgnoreCase)
    {
        "GTIN", "GS1", "urn:oid:1.3.160", "https://www.gs1.org/gtin", "http://www.gs1.org/gtin",
    };

    private readonly ConcurrentDictionary<string, (Item Item, DateTimeOffset Until)> itemsByCode = new(StringComparer.Ordinal);

    private readonly CachedList<Location> locationDirectory = new(clock, options.Value.LookupCacheTtl, async ct => (await Pages.AllAsync<Location>(async token =>
    {
        var page = await locations.ListLocationsAsync(new ListLocationsRequest { PageSize = 1000, PageToken = token }, cancellationToken: ct);
        return (page.Locations, page.NextPageToken);
    })).Items);

    private readonly CachedList<Supplier> supplierDirectory = new(clock, options.Value.LookupCacheTtl, async ct => (await Pages.AllAsync<Supplier>(async token =>
    {
        var page = await suppliers.ListSuppliersAsync(new ListSuppliersRequest { PageSize = 1000, PageToken = token }, cancellationToken: ct);
        return (page.Suppliers, page.NextPageToken);
    })).Items);

    /// <summary>The item billed under <paramref name="code"/> (or whose GTIN it is, when <paramref name="system"/> says GTIN or no charge code matches).</summary>
    public async Task<Item> ItemAsync(string code, string? system, string location, CancellationToken ct)
    {
        var key = $"{system}|{code}";
        if (itemsByCode.TryGetValue(key, out var cached) && cached.Until > clock.GetUtcNow())
        {
            return cached.Item;
        }

        var byGtin = system is not null && GtinSystems.Contains(system);
        var found = byGtin ? [] : await ListItemsAsync(new ListItemsRequest { ChargeCode = code, PageSize = 2 }, location, ct);
        if (found.Count == 0 && code.Length is 8 or 12 or 13 or 14 && code.All(char.IsAsciiDigit))
        {
            found = await ListItemsAsync(new ListItemsRequest { Gtin = code, PageSize = 2 }, location, ct);
        }

        if (found.Count != 1)
        {
            throw new MappingFailedException(new MappingFailure(
                FailureKind.UnknownCode,
                found.Count == 0
                    ? $"{location}: no item in master data has this {(byGtin ? "GTIN" : "charge code or GTIN")}"
                    : $"{location}: more than one item in master data has this charge code; give each item its own",
                location,
                code));
        }

        itemsByCode[key] = (found[0], clock.GetUtcNow() + options.Value.LookupCacheTtl);
        return found[0];
    }

    /// <summary>The location that carries <paramref name="department"/> as an external id of the department system.</summary>
    public async Task<Location> LocationAsync(string department, string location, CancellationToken ct)
    {
        var system = options.Value.DepartmentSystem;
        bool Carries(Location l) => l.ExternalIds.Any(e => string.Equals(e.System, system, StringComparison.OrdinalIgnoreCase) && string.Equals(e.Value, department, StringComparison.OrdinalIgnoreCase));
        var match = (await LocationsAsync(fresh: false, location, ct)).FirstOrDefault(Carries)
            ?? (await LocationsAsync(fresh: true, location, ct)).FirstOrDefault(Carries);
        return match ?? throw new MappingFailedException(new MappingFailure(
            FailureKind.UnknownCode, $"{location}: no location in master data carries this department code (external id system '{system}')", location, department));
    }

    /// <summary>The supplier with <paramref name="code"/> as an external id (any system) or as its name's id.</summary>
    public async Task<Supplier> SupplierAsync(string code, string location, CancellationToken ct)
    {
        bool Is(Supplier s) => s.Name == $"suppliers/{code}" || s.ExternalIds.Any(e => string.Equals(e.Value, code, StringComparison.OrdinalIgnoreCase));
        var match = (await SuppliersAsync(fresh: false, location, ct)).FirstOrDefault(Is) ?? (await SuppliersAsync(fresh: true, location, ct)).FirstOrDefault(Is);
        return match ?? throw new MappingFailedException(new MappingFailure(
            FailureKind.UnknownCode, $"{location}: no supplier in master data has this code as an external id", location, code));
    }

    private async Task<List<Item>> ListItemsAsync(ListItemsRequest request, string location, CancellationToken ct) =>
        [.. (await CallAsync(() => items.ListItemsAsync(request, cancellationToken: ct).ResponseAsync, location)).Items];

    private Task<IReadOnlyList<Location>> LocationsAsync(bool fresh, string location, CancellationToken ct) =>
        CallAsync(() => locationDirectory.GetAsync(fresh, ct), location);

    private Task<IReadOnlyList<Supplier>> SuppliersAsync(bool fresh, string location, CancellationToken ct) =>
        CallAsync(() => supplierDirectory.GetAsync(fresh, ct), location);

    // Master data not answering is not the message's fault: the failure is transient, and the sender resends.
    private static async Task<T> CallAsync<T>(Func<Task<T>> call, string location)
    {
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            throw new MappingFailedException(new MappingFailure(FailureKind.Unavailable, $"master data could not be asked to resolve {location} ({e.StatusCode}); resend later", location));
        }
    }
}

/// <summary>A whole list read from master data, reused until its time to live passes or a caller asks for a fresh one.</summary>
internal sealed class CachedList<T>(TimeProvider clock, TimeSpan ttl, Func<CancellationToken, Task<List<T>>> load)
{
    private readonly SemaphoreSlim refresh = new(1, 1);
    private (IReadOnlyList<T> All, DateTimeOffset Until) current = ([], DateTimeOffset.MinValue);

    /// <summary>The list, read again when <paramref name="fresh"/> or when it is older than its time to live.</summary>
    public async Task<IReadOnlyList<T>> GetAsync(bool fresh, CancellationToken ct)
    {
        if (!fresh && current.Until > clock.GetUtcNow())
        {
            return current.All;
        }

        await refresh.WaitAsync(ct);
        try
        {
            var all = await load(ct);
            current = (all, clock.GetUtcNow() + ttl);
            return all;
        }
        finally
        {
            refresh.Release();
        }
    }
}
