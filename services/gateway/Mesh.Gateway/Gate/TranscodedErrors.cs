using Grpc.Core;
using Grpc.Core.Interceptors;
using Mesh.Contracts.Validation;

namespace Mesh.Gateway.Gate;

/// <summary>
/// Errors of REST calls, written by the gate rather than by JSON transcoding, which can carry neither the
/// <c>google.rpc</c> details of a status nor its binary trailer on HTTP/1.1. The outermost interceptor: it keeps the
/// error of a transcoded call for the gate and lets transcoding see a plain status.
/// </summary>
public sealed class TranscodedErrors : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException e) when (Refusal.ProtocolOf(context.GetHttpContext().Request) == CallProtocol.Rest)
        {
            var details = e.Trailers.GetValueBytes(ContractViolations.StatusDetailsTrailer) is { } bytes
                ? Google.Rpc.Status.Parser.ParseFrom(bytes).Details.ToList()
                : [];
            context.GetHttpContext().Features.Set(new Refusal(e.StatusCode, e.Status.Detail, Details: details));
            throw new RpcException(e.Status);
        }
    }
}
