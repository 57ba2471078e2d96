namespace Mesh.Runtime.Sidecar.Invocation;

/// <summary>
/// daprd's normalization of an invoked method before access control and dispatch (dapr/dapr
/// <c>pkg/messaging/method/normalize.go</c>): '#', '?', NUL and control characters are refused, and the path is
/// cleaned as Go's <c>path.Clean</c> cleans it, so <c>a/../admin</c> is checked and sent as <c>admin</c>.
/// </summary>
internal static class MethodNames
{
    /// <summary>The normalized method, or null with daprd's reason when it is refused.</summary>
    public static (string? Method, string? Problem) Normalize(string method)
    {
        if (method.AsSpan().IndexOfAny('#', '?', '\0') >= 0)
        {
            return (null, $"method contains forbidden character: \"{method}\"");
        }

        for (var i = 0; i < method.Length; i++)
        {
            if (method[i] < 0x20 || method[i] == 0x7f)
            {
                return (null, $"method contains control character at position {i}: \"{method}\"");
            }
        }

        var cleaned = Clean(method);
        while (cleaned.StartsWith("../", StringComparison.Ordinal))
        {
            cleaned = cleaned[3..];
        }

        return (cleaned is ".." or "." ? "" : cleaned, null);
    }

    // Go's path.Clean: single slashes, no "." elements, ".." removes the element before it (or stays, unrooted).
    private static string Clean(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..")
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                else if (!rooted)
                {
                    parts.Add("..");
                }

                continue;
            }

            parts.Add(segment);
        }

        var cleaned = (rooted ? "/" : "") + string.Join('/', parts);
        return cleaned.Length == 0 ? "." : cleaned;
    }
}
