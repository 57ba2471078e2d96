namespace Mesh.Resources;

/// <summary>AIP-158 pagination over ids: a page size with a default and a maximum, and opaque page tokens.</summary>
public static class Paging
{
    /// <summary>The page size to use: 100 when unset, at most 1000; INVALID_ARGUMENT when negative.</summary>
    public static int Size(int requested) => requested switch
    {
        < 0 => throw ResourceErrors.Invalid($"page_size must not be negative (got {requested})"),
        0 => 100,
        _ => Math.Min(requested, 1000),
    };

    /// <summary>
    /// Reads one page of resources: ids after the token, in order, read in bulk and filtered until the page is
    /// full. The next token is the last id looked at, so filtered-out ids are not read again.
    /// </summary>
    public static async Task<(List<T> Page, string NextToken)> PageAsync<T>(
        IReadOnlyList<string> sortedIds, int pageSize, string pageToken, Func<IReadOnlyList<string>, Task<List<T>>> readMany, Func<T, bool> matches)
    {
        var size = Size(pageSize);
        var position = 0;
        if (pageToken.Length > 0)
        {
            var after = Decode(pageToken);
            while (position < sortedIds.Count && string.CompareOrdinal(sortedIds[position], after) <= 0)
            {
                position++;
            }
        }

        var page = new List<T>();
        while (position < sortedIds.Count && page.Count < size)
        {
            var chunk = sortedIds.Skip(position).Take(size - page.Count).ToList();
            page.AddRange((await readMany(chunk)).Where(matches));
            position += chunk.Count;
        }

        return (page, position < sortedIds.Count ? Encode(sortedIds[position - 1]) : "");
    }

    private static string Encode(string id) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(id));

    private static string Decode(string token)
    {
        try
        {
            var id = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return ResourceName.IsValidId(id) ? id : throw new FormatException();
        }
        catch (FormatException)
        {
            throw ResourceErrors.Invalid("page_token was not issued by this service");
        }
    }
}
