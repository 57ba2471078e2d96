using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Mesh.Runtime.Sidecar.Grpc;

/// <summary>
/// Binds a gRPC service from its descriptor onto <typeparamref name="TService"/>, for services whose .NET
/// package ships only a client (Dapr's runtime API, the workflow protocol). A public method of the
/// service class with the RPC's name implements it — <c>(request, context) → Task&lt;response&gt;</c> for
/// unary RPCs, <c>(request, writer, context) → Task</c> for server streaming; every other RPC answers
/// UNIMPLEMENTED naming itself, so an app learns exactly which API the embedded runtime lacks.
/// </summary>
public abstract class DescriptorMethodProvider<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    /// <summary>The service to bind.</summary>
    protected abstract ServiceDescriptor Service { get; }

    /// <summary>RPC name → implementing method name, for RPCs served by another RPC's method.</summary>
    protected virtual IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>();

    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        foreach (var method in Service.Methods)
        {
            typeof(DescriptorMethodProvider<TService>).GetMethod(nameof(Bind), BindingFlags.NonPublic | BindingFlags.Instance)!
                .MakeGenericMethod(method.InputType.ClrType, method.OutputType.ClrType)
                .Invoke(this, [context, method]);
        }
    }

    private void Bind<TRequest, TResponse>(ServiceMethodProviderContext<TService> context, MethodDescriptor descriptor)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var type = (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var requestParser = new MessageParser<TRequest>(() => new TRequest());
        var responseParser = new MessageParser<TResponse>(() => new TResponse());
        var method = new Method<TRequest, TResponse>(
            type, descriptor.Service.FullName, descriptor.Name,
            Marshallers.Create(m => m.ToByteArray(), requestParser.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), responseParser.ParseFrom));
        var metadata = new List<object>();
        var implementation = typeof(TService).GetMethod(Aliases.GetValueOrDefault(descriptor.Name, descriptor.Name), BindingFlags.Public | BindingFlags.Instance);
        var unimplemented = new RpcException(new Status(StatusCode.Unimplemented, $"{descriptor.FullName} is not implemented by the Mesh embedded runtime"));

        switch (type)
        {
            case MethodType.Unary when implementation is not null:
                var unary = implementation.CreateDelegate<Func<TService, TRequest, ServerCallContext, Task<TResponse>>>();
                context.AddUnaryMethod(method, metadata, (service, request, call) => unary(service, request, call));
                break;
            case MethodType.Unary:
                context.AddUnaryMethod(method, metadata, (_, _, _) => throw unimplemented);
                break;
            case MethodType.ServerStreaming when implementation is not null:
                var streaming = implementation.CreateDelegate<Func<TService, TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task>>();
                context.AddServerStreamingMethod(method, metadata, (service, request, writer, call) => streaming(service, request, writer, call));
                break;
            case MethodType.ServerStreaming:
                context.AddServerStreamingMethod(method, metadata, (_, _, _, _) => throw unimplemented);
                break;
            case MethodType.ClientStreaming:
                context.AddClientStreamingMethod(method, metadata, (_, _, _) => throw unimplemented);
                break;
            default:
                context.AddDuplexStreamingMethod(method, metadata, (_, _, _, _) => throw unimplemented);
                break;
        }
    }
}
