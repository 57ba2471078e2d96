using Grpc.Core;

namespace Mesh.Runtime.Sidecar;

/// <summary>
/// What the sidecar logs about a failure. An exception's message can repeat what an app or a payload said (a gRPC
/// status detail, a JSON reader's view of the body), which may be patient data, so logs carry the exception's type and
/// status code only; the ids, topics and routes beside it say which call failed.
/// </summary>
internal static class SafeLog
{
    /// <summary>e.g. <c>RpcException(Internal)</c>, <c>HttpRequestException(ConnectionError)</c>, <c>JsonException</c>.</summary>
    public static string Describe(Exception e) => e switch
    {
        RpcException rpc => $"RpcException({rpc.StatusCode})",
        HttpRequestException { StatusCode: { } status } => $"HttpRequestException({(int)status})",
        HttpRequestException http => $"HttpRequestException({http.HttpRequestError})",
        _ => e.GetType().Name,
    };
}
