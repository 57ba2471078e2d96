using Grpc.Core;
using Grpc.Core.Interceptors;
using Google.Protobuf;
using Mesh.Contracts.Validation;

namespace Mesh.ServiceDefaults.Validation;

/// <summary>
/// Refuses a request that breaks the field constraints its contract declares, before the service's own rules run:
/// INVALID_ARGUMENT with a <c>google.rpc.BadRequest</c> naming each field and rule, never a value.
/// </summary>
public sealed class ContractValidationInterceptor : Interceptor
{
    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ThrowIfInvalid(request);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ThrowIfInvalid(request);
        return continuation(request, responseStream, context);
    }

    private static void ThrowIfInvalid<TRequest>(TRequest request)
    {
        if (request is IMessage message && ContractValidator.Validate(message) is { Count: > 0 } violations)
        {
            throw ContractViolations.ToRpcException(violations);
        }
    }
}
