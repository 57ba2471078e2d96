using System.Collections.Concurrent;
using Dapr.Client;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Contracts.Classification;
using Mesh.Gateway.Security;
using Mesh.Gateway.Surface;
using Mesh.Resources;

namespace Mesh.Gateway.Forwarding;

/// <summary>
/// Forwards one admitted partner call to the service behind it through this app's Dapr sidecar (gRPC proxying by
/// <c>dapr-app-id</c>, with the sidecar's API token when one is set), narrowed to the partner's own data, and returns
/// the answer projected to what the partner may see. Written once for every partner RPC: the forwarders'
/// overrides only name their request and response types.
/// </summary>
public sealed class PartnerForwarder(PartnerSurface surface, IConfiguration configuration)
{
    private readonly ConcurrentDictionary<string, CallInvoker> invokers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> methods = new(StringComparer.Ordinal);

    /// <summary>Forwards a unary call.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(TRequest request, ServerCallContext context)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var caller = PartnerCaller.Of(context.GetHttpContext());
        var route = surface.Find(context.Method) ?? throw new RpcException(new Status(StatusCode.Unimplemented, "the method is not part of the partner API"));
        try
        {
            var partner = PartnerOf(route, caller);
            caller.NoteResources(NamesIn(request));
            if (partner is not null && !route.DataScope!.Narrow(request, partner))
            {
                // A list filtered by another partner's identity reads as empty: nothing says whether it has data.
                caller.Outcome = StatusCode.OK;
                return new TResponse();
            }

            var response = await invokers.GetOrAdd(route.AppId, appId => SidecarInvocation.For(configuration, appId))
                .AsyncUnaryCall(MethodOf<TRequest, TResponse>(route), null, new CallOptions(deadline: Deadline(context), cancellationToken: context.CancellationToken), request);
            if (partner is not null)
            {
                KeepOwn(route.DataScope!, request, response, partner);
            }

            Projection.ClearInPlace(response, caller.Withheld);
            caller.NoteResources(NamesIn(response));
            caller.Outcome = StatusCode.OK;
            return response;
        }
        catch (RpcException e)
        {
            caller.Outcome = e.StatusCode;
            throw Passed(e, route);
        }
    }

    // The partner's identity the route's data is scoped by, or null when the route is not scoped for this caller.
    private static string? PartnerOf(PartnerMethod route, PartnerCaller caller) =>
        route.DataScope is { } scope && caller.Attributes.TryGetValue(scope.Attribute, out var partner) ? partner : null;

    // A single resource of another partner is NOT_FOUND, worded as the service words a missing one; lists keep only own resources.
    private static void KeepOwn(DataScope scope, IMessage request, IMessage response, string partner)
    {
        if (!scope.IsResource(response.Descriptor))
        {
            scope.KeepOwn(response, partner);
            return;
        }

        if (!scope.Owns(response, partner))
        {
            var name = request.Descriptor.FindFieldByName("name")?.Accessor.GetValue(request) as string ?? "";
            throw ResourceErrors.NotFound(name);
        }
    }

    // The service's answer as the partner gets it: its status, message and google.rpc details; nothing else of its
    // trailers. Failures of the mesh itself say which service, never how it is reached.
    private static RpcException Passed(RpcException e, PartnerMethod route)
    {
        if (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.DeadlineExceeded or StatusCode.Cancelled)
        {
            return new RpcException(new Status(e.StatusCode == StatusCode.DeadlineExceeded ? e.StatusCode : StatusCode.Unavailable, $"{route.Descriptor.Service.FullName} did not answer; retry later"));
        }

        var trailers = new Metadata();
        if (e.Trailers.GetValueBytes(Contracts.Validation.ContractViolations.StatusDetailsTrailer) is { } details)
        {
            trailers.Add(Contracts.Validation.ContractViolations.StatusDetailsTrailer, details);
        }

        return new RpcException(e.Status, trailers);
    }

    private Method<TRequest, TResponse> MethodOf<TRequest, TResponse>(PartnerMethod route)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        (Method<TRequest, TResponse>)methods.GetOrAdd(route.Path, _ => new Method<TRequest, TResponse>(
            MethodType.Unary,
            route.Descriptor.Service.FullName,
            route.Descriptor.Name,
            Marshallers.Create(m => m.ToByteArray(), bytes => new MessageParser<TRequest>(() => new TRequest()).ParseFrom(bytes)),
            Marshallers.Create(m => m.ToByteArray(), bytes => new MessageParser<TResponse>(() => new TResponse()).ParseFrom(bytes))));

    private static DateTime? Deadline(ServerCallContext context) => context.Deadline == DateTime.MaxValue ? null : context.Deadline;

    // The resource names a message carries at its top: its own name, its parent, and those of listed resources.
    private static IEnumerable<string> NamesIn(IMessage message)
    {
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            if (field.Name is "name" or "parent" && field.FieldType == Google.Protobuf.Reflection.FieldType.String && !field.IsRepeated)
            {
                yield return (string)field.Accessor.GetValue(message);
            }
            else if (field.IsRepeated && !field.IsMap && field.FieldType == Google.Protobuf.Reflection.FieldType.Message && field.MessageType.FindFieldByName("name") is { } name)
            {
                foreach (IMessage resource in (System.Collections.IList)field.Accessor.GetValue(message))
                {
                    yield return (string)name.Accessor.GetValue(resource);
                }
            }
        }
    }
}
