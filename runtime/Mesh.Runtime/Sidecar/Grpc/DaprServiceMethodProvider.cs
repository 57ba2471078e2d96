using System.Reflection;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Mesh.Runtime.Sidecar.Grpc;

/// <summary>
/// Binds <c>dapr.proto.runtime.v1.Dapr</c> onto <see cref="DaprGrpcApi"/>. Dapr's .NET package ships the
/// service's client only, so methods are bound from the service descriptor: a public method of
/// <see cref="DaprGrpcApi"/> with the RPC's name implements it; every other RPC answers UNIMPLEMENTED
/// naming itself, so an app learns exactly which API the embedded runtime lacks.
/// </summary>
public sealed class DaprServiceMethodProvider : IServiceMethodProvider<DaprGrpcApi>
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["BulkPublishEventAlpha1"] = nameof(DaprGrpcApi.BulkPublishEvent),
    };

    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<DaprGrpcApi> context)
    {
        var service = DaprReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Dapr");
        foreach (var method in service.Methods)
        {
            var bind = typeof(DaprServiceMethodProvider).GetMethod(nameof(Bind), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(method.InputType.ClrType, method.OutputType.ClrType);
            bind.Invoke(null, [context, method]);
        }
    }

    private static void Bind<TRequest, TResponse>(ServiceMethodProviderContext<DaprGrpcApi> context, MethodDescriptor descriptor)
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
        var parser = new MessageParser<TRequest>(() => new TRequest());
        var responseParser = new MessageParser<TResponse>(() => new TResponse());
        var method = new Method<TRequest, TResponse>(
            type, descriptor.Service.FullName, descriptor.Name,
            Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), responseParser.ParseFrom));
        var metadata = new List<object>();
        var implementation = typeof(DaprGrpcApi).GetMethod(Aliases.GetValueOrDefault(descriptor.Name, descriptor.Name), BindingFlags.Public | BindingFlags.Instance);
        var unimplemented = new RpcException(new Status(StatusCode.Unimplemented, $"{descriptor.FullName} is not implemented by the Mesh embedded runtime"));

        switch (type)
        {
            case MethodType.Unary when implementation is not null:
                var call = implementation.CreateDelegate<Func<DaprGrpcApi, TRequest, ServerCallContext, Task<TResponse>>>();
                context.AddUnaryMethod(method, metadata, (api, request, ctx) => call(api, request, ctx));
                break;
            case MethodType.Unary:
                context.AddUnaryMethod(method, metadata, (_, _, _) => throw unimplemented);
                break;
            case MethodType.ClientStreaming:
                context.AddClientStreamingMethod(method, metadata, (_, _, _) => throw unimplemented);
                break;
            case MethodType.ServerStreaming:
                context.AddServerStreamingMethod(method, metadata, (_, _, _, _) => throw unimplemented);
                break;
            default:
                context.AddDuplexStreamingMethod(method, metadata, (_, _, _, _) => throw unimplemented);
                break;
        }
    }
}
