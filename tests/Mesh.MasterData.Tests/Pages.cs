namespace Mesh.MasterData.Tests;

/// <summary>Pages through a List method the way a client does, following next_page_token to the end.</summary>
internal static class Pages
{
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
