using Dapr.AppCallback.Autogen.Grpc.v1;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Mesh.Runtime.Sidecar.Invocation;

/// <summary>
/// A client for the <c>dapr.proto.runtime.v1.AppCallback</c> service that grpc apps implement. Dapr's
/// package ships only the server base of this service, so the calls are declared here.
/// </summary>
public sealed class AppCallbackClient(CallInvoker invoker)
{
    private const string Service = "dapr.proto.runtime.v1.AppCallback";

    private static readonly Method<Empty, ListTopicSubscriptionsResponse> ListTopicSubscriptionsMethod = Unary<Empty, ListTopicSubscriptionsResponse>("ListTopicSubscriptions");
    private static readonly Method<TopicEventRequest, TopicEventResponse> OnTopicEventMethod = Unary<TopicEventRequest, TopicEventResponse>("OnTopicEvent");
    private static readonly Method<InvokeRequest, InvokeResponse> OnInvokeMethod = Unary<InvokeRequest, InvokeResponse>("OnInvoke");

    /// <summary>Asks the app for its subscriptions.</summary>
    public AsyncUnaryCall<ListTopicSubscriptionsResponse> ListTopicSubscriptionsAsync(Empty request, Metadata? headers = null, CancellationToken cancellationToken = default) =>
        invoker.AsyncUnaryCall(ListTopicSubscriptionsMethod, null, new CallOptions(headers, cancellationToken: cancellationToken), request);

    /// <summary>Delivers one event.</summary>
    public AsyncUnaryCall<TopicEventResponse> OnTopicEventAsync(TopicEventRequest request, Metadata? headers = null, CancellationToken cancellationToken = default) =>
        invoker.AsyncUnaryCall(OnTopicEventMethod, null, new CallOptions(headers, cancellationToken: cancellationToken), request);

    /// <summary>Invokes a method through the callback service.</summary>
    public AsyncUnaryCall<InvokeResponse> OnInvokeAsync(InvokeRequest request, Metadata? headers = null, CancellationToken cancellationToken = default) =>
        invoker.AsyncUnaryCall(OnInvokeMethod, null, new CallOptions(headers, cancellationToken: cancellationToken), request);

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var requestParser = new MessageParser<TRequest>(() => new TRequest());
        var responseParser = new MessageParser<TResponse>(() => new TResponse());
        return new Method<TRequest, TResponse>(
            MethodType.Unary, Service, name,
            Marshallers.Create(m => m.ToByteArray(), requestParser.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), responseParser.ParseFrom));
    }
}
