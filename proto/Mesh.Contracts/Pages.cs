namespace Mesh.Contracts;

/// <summary>Client side of AIP-158 pagination: every page of a List method, following next_page_token to the end.</summary>
public static class Pages
{
    /// <summary>
    /// Calls <paramref name="list"/> with "" and then with each next_page_token until one is empty; returns the
    /// items in order and the number of pages read.
    /// </summary>
    public static async Task<(List<T> Items, int Pages)> AllAsync<T>(Func<string, Task<(IEnumerable<T> Items, string NextPageToken)>> list)
    {
        var items = new List<T>();
        var pages = 0;
        var token = "";
        do
        {
            var (page, next) = await list(token);
            items.AddRange(page);
            token = next;
            pages++;
        }
        while (token.Length > 0);

        return (items, pages);
    }
}
