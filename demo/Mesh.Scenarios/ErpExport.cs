using System.Net.Http.Json;

namespace Mesh.Scenarios;

/// <summary>
/// The ERP stand-in's exports (journal entries, purchase orders), read a page at a time to their end: the ERP keeps
/// what earlier runs on the same store booked, so a reconciliation reads everything and picks its own run's records.
/// </summary>
public static class ErpExport
{
    private const int PageSize = 1000;

    /// <summary>Every record of the export at <paramref name="path"/>, in its order; <paramref name="idOf"/> gives the id a page continues after.</summary>
    public static async Task<List<T>> AllAsync<T>(HttpClient erp, string path, Func<T, string> idOf, CancellationToken ct)
    {
        var all = new List<T>();
        string? after = null;
        while (true)
        {
            var page = await erp.GetFromJsonAsync<List<T>>($"{path}?limit={PageSize}{(after is null ? "" : $"&after={Uri.EscapeDataString(after)}")}", ct) ?? [];
            if (page.Count == 0)
            {
                return all;
            }

            all.AddRange(page);
            after = idOf(page[^1]);
        }
    }
}
