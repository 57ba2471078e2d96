using System.Globalization;

namespace Mesh.Registry.Grpc;

/// <summary>AIP-158 page sizes and opaque page tokens.</summary>
internal static partial class Paging
{
    private const int DefaultSize = 100;
    private const int MaxSize = 1000;

    /// <summary>The page size to use; negative sizes fail with INVALID_ARGUMENT.</summary>
    public static int Size(int requested) => requested switch
    {
        < 0 => throw new RpcException(new Status(StatusCode.InvalidArgument, $"page_size must not be negative (got {requested})")),
        0 => DefaultSize,
        _ => Math.Min(requested, MaxSize),
    };

    /// <summary>Encodes a cursor.</summary>
    public static string Token(string cursor) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(cursor));

    /// <summary>Decodes a cursor; a token this server did not issue fails with INVALID_ARGUMENT.</summary>
    public static string Cursor(string token)
    {
        if (token.Length == 0)
        {
            return "";
        }

        try
        {
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not a token this registry issued"));
        }
    }

    /// <summary>Decodes a Redis stream id cursor ("{ms}-{seq}").</summary>
    public static string StreamCursor(string token)
    {
        var cursor = Cursor(token);
        return cursor.Length == 0 || StreamId().IsMatch(cursor)
            ? cursor
            : throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not a token this registry issued"));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\A[0-9]{1,20}-[0-9]{1,20}\z")]
    private static partial System.Text.RegularExpressions.Regex StreamId();

    /// <summary>Decodes a numeric cursor.</summary>
    public static int Offset(string token)
    {
        var cursor = Cursor(token);
        return cursor.Length == 0 ? 0
            : int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ? offset
            : throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not a token this registry issued"));
    }
}
