using Google.Protobuf;
using Mesh.Resources;

namespace Mesh.Inventory.Domain;

/// <summary>
/// The names of inventory resources, which live under a location ("locations/{location}/balances/{item}",
/// "locations/{location}/movements/{movement}"), and their ids in the state store, "{location}~{id}", so that
/// one store holds every location and a location's resources are the ids with its prefix.
/// </summary>
public static class InventoryNames
{
    /// <summary>Locations, the parent of balances and movements.</summary>
    public static readonly ResourceName Locations = new("locations");

    /// <summary>Items, which balances and movements refer to.</summary>
    public static readonly ResourceName Items = new("items");

    /// <summary>The collection of balances under a location.</summary>
    public const string Balances = "balances";

    /// <summary>The collection of movements under a location.</summary>
    public const string Movements = "movements";

    private const char Separator = '~';

    /// <summary>"locations/{location}/{collection}/{id}".</summary>
    public static string Of(string location, string collection, string id) => $"{Locations.Of(location)}/{collection}/{id}";

    /// <summary>
    /// The location and id of a name in <paramref name="collection"/> under a location; INVALID_ARGUMENT naming
    /// <paramref name="field"/> when it is not one.
    /// </summary>
    public static (string Location, string Id) Parse(string name, string collection, string field)
    {
        var parts = name.Split('/');
        return parts is ["locations", var location, var kind, var id] && kind == collection && ResourceName.IsValidId(location) && ResourceName.IsValidId(id)
            ? (location, id)
            : throw ResourceErrors.Invalid($"{field} '{name}' is not a {collection} name; expected locations/{{location}}/{collection}/{{id}} with lowercase ids");
    }

    /// <summary>The state store id of a resource under a location.</summary>
    public static string StoreId(string location, string id) => $"{location}{Separator}{id}";

    /// <summary>The location of a state store id: the partition of the stores of balances and movements.</summary>
    public static string LocationOf(string storeId) => storeId[..storeId.IndexOf(Separator, StringComparison.Ordinal)];

    /// <summary>
    /// One page of the resources under <paramref name="location"/>, in id order, from the location's own index. Page
    /// tokens carry the id within the location, which is an AIP id as <see cref="Paging"/> requires.
    /// </summary>
    public static async Task<(List<T> Page, string NextToken)> PageAsync<T>(
        ResourceStore<T> store, string location, int pageSize, string pageToken, Func<T, bool> matches, CancellationToken ct)
        where T : class, IMessage<T>, new()
    {
        var prefix = StoreId(location, "");
        var ids = (await store.IdsAsync(location, ct)).Select(id => id[prefix.Length..]).ToList();
        return await Paging.PageAsync(ids, pageSize, pageToken, chunk => store.GetManyAsync([.. chunk.Select(id => StoreId(location, id))], ct), matches);
    }
}
