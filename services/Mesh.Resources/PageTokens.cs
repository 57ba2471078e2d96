namespace Mesh.Resources;

/// <summary>
/// Opaque AIP-158 page tokens over any cursor (an id, a version number, a stream id): the cursor in base64, checked on
/// the way back, so a token this service did not issue is INVALID_ARGUMENT instead of a read from a forged position.
/// </summary>
public static class PageTokens
{
    /// <summary>The token of <paramref name="cursor"/>.</summary>
    public static string Encode(string cursor) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(cursor));

    /// <summary>
    /// The cursor in <paramref name="token"/>, "" for the first page (no token); INVALID_ARGUMENT when the token is not
    /// one <see cref="Encode"/> made of a cursor <paramref name="isValid"/> accepts.
    /// </summary>
    public static string Decode(string token, Func<string, bool> isValid)
    {
        if (token.Length == 0)
        {
            return "";
        }

        try
        {
            var cursor = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return isValid(cursor) ? cursor : throw new FormatException();
        }
        catch (FormatException)
        {
            throw ResourceErrors.Invalid("page_token was not issued by this service");
        }
    }
}
