using System.Collections.Concurrent;
using Dapr.AppCallback.Autogen.Grpc.v1;
using Dapr.Client;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Runtime.Sidecar;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// A grpc app (appProtocol grpc) implementing Dapr's AppCallback with the SDK's server base: subscription
/// discovery by ListTopicSubscriptions, delivery by OnTopicEvent with its status enum, and InvokeService
/// reaching OnInvoke.
/// </summary>
public sealed class GrpcAppThroughSidecarTests(GrpcAppThroughSidecarTests.GrpcAppTestbed fixture) : IClassFixture<GrpcAppThroughSidecarTests.GrpcAppTestbed>
{
    private readonly SidecarTestbed testbed = fixture.Testbed;
    private readonly CallbackLog log = fixture.Log;


    [Fact]
    public async Task Publish_ToGrpcApp_DeliversThroughOnTopicEventWithRetry()
    {
        log.Answers.Enqueue(TopicEventResponse.Types.TopicEventResponseStatus.Retry);
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.PublishEventAsync("pubsub", "stock-moves", new Order("s-1", 4), new Dictionary<string, string> { ["cloudevent.type"] = "stock.moved" });

        List<TopicEventRequest> Mine() => log.Events.Where(e => e.Data.ToStringUtf8().Contains("\"s-1\"", StringComparison.Ordinal)).ToList();
        var deliveries = await WaitAsync(() => Mine() is { Count: >= 2 } found ? found : null);
        Assert.All(deliveries, e =>
        {
            Assert.Equal("stock.moved", e.Type);
            Assert.Equal("/moves", e.Path);
            Assert.Equal("stock-moves", e.Topic);
            Assert.Contains("\"s-1\"", e.Data.ToStringUtf8(), StringComparison.Ordinal);
        });
        await testbed.WaitUntilAcknowledgedAsync("stock-moves", group: "stock");
        Assert.Equal(2, Mine().Count);
    }

    [Fact]
    public async Task Publish_ToGrpcSubscriptionWithoutRoutes_IsDeliveredWithAnEmptyPath()
    {
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.PublishEventAsync("pubsub", "stock-counts", new Order("c-1", 9));

        var delivered = await WaitAsync(() => log.Events.FirstOrDefault(e => e.Topic == "stock-counts"));
        Assert.Equal("", delivered.Path);
        Assert.Contains("\"c-1\"", delivered.Data.ToStringUtf8(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeService_ToGrpcApp_ReachesOnInvokeWithTheCaller()
    {
        var client = testbed.ClientFor(testbed.CheckoutSidecar);

        // The SDK marks Dapr/InvokeService obsolete in favour of proxying, but apps written for it still call it.
#pragma warning disable CS0618
        var reply = await client.InvokeMethodGrpcAsync<StringValue, StringValue>("stock", "reserve", new StringValue { Value = "gauze" });
#pragma warning restore CS0618

        Assert.Equal("reserved gauze for checkout", reply.Value);
    }

    [Fact]
    public async Task BulkPublish_EveryEntryIsDelivered()
    {
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        var result = await publisher.BulkPublishEventAsync("pubsub", "stock-moves", new List<Order> { new("b-1", 1), new("b-2", 2) });

        Assert.Empty(result.FailedEntries);
        var deliveries = await WaitAsync(() => log.Events.Count(e => e.Data.ToStringUtf8().Contains("\"b-", StringComparison.Ordinal)) >= 2 ? log.Events.ToList() : null);
        Assert.Contains(deliveries, e => e.Data.ToStringUtf8().Contains("b-1", StringComparison.Ordinal));
        Assert.Contains(deliveries, e => e.Data.ToStringUtf8().Contains("b-2", StringComparison.Ordinal));
    }

    private static async Task<T> WaitAsync<T>(Func<T?> probe)
        where T : class
    {
        for (var i = 0; i < 200; i++)
        {
            if (probe() is { } value)
            {
                return value;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("the grpc app did not receive what was expected");
    }

    /// <summary>The shared testbed plus the grpc "stock" app and its sidecar, started once for the class.</summary>
    public sealed class GrpcAppTestbed : IAsyncLifetime
    {
        private WebApplication app = null!;

        public SidecarTestbed Testbed { get; } = new();

        public CallbackLog Log { get; } = new();

        public async Task InitializeAsync()
        {
            await Testbed.InitializeAsync();
            var port = Mesh.Runtime.LoopbackPorts.Free();
            var builder = Mesh.Testing.LoopbackApp.CreateBuilder(HttpProtocols.Http2, port);
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(Log);
            app = builder.Build();
            app.MapGrpcService<StockCallback>();
            await app.StartAsync();
            await Testbed.StartSidecarAsync(new AppEndpoint("stock", "127.0.0.1", port, "grpc"));
            await Testbed.Host.StartDeliveriesWhenReadyAsync("stock", TimeSpan.FromSeconds(30));
        }

        public async Task DisposeAsync()
        {
            await app.DisposeAsync();
            await Testbed.DisposeAsync();
        }
    }

    public sealed class CallbackLog
    {
        public ConcurrentQueue<TopicEventRequest> Events { get; } = new();

        public ConcurrentQueue<TopicEventResponse.Types.TopicEventResponseStatus> Answers { get; } = new();
    }

    public sealed class StockCallback(CallbackLog log) : AppCallback.AppCallbackBase
    {
        public override Task<ListTopicSubscriptionsResponse> ListTopicSubscriptions(Empty request, ServerCallContext context) =>
            Task.FromResult(new ListTopicSubscriptionsResponse
            {
                Subscriptions =
                {
                    new TopicSubscription
                    {
                        PubsubName = "pubsub",
                        Topic = "stock-moves",
                        Routes = new TopicRoutes { Rules = { new TopicRule { Match = "event.type == \"stock.moved\"", Path = "/moves" } }, Default = "/other" },
                    },

                    // The SDK samples' shape: no routes at all; daprd delivers with an empty path.
                    new TopicSubscription { PubsubName = "pubsub", Topic = "stock-counts" },
                },
            });

        public override Task<TopicEventResponse> OnTopicEvent(TopicEventRequest request, ServerCallContext context)
        {
            log.Events.Enqueue(request);
            var status = log.Answers.TryDequeue(out var scripted) ? scripted : TopicEventResponse.Types.TopicEventResponseStatus.Success;
            return Task.FromResult(new TopicEventResponse { Status = status });
        }

        public override Task<InvokeResponse> OnInvoke(InvokeRequest request, ServerCallContext context)
        {
            var item = request.Data.Unpack<StringValue>().Value;
            var caller = context.RequestHeaders.GetValue("dapr-caller-app-id");
            var answer = request.Method == "reserve" ? $"reserved {item} for {caller}" : $"unknown method {request.Method}";
            return Task.FromResult(new InvokeResponse { Data = Any.Pack(new StringValue { Value = answer }) });
        }
    }
}
