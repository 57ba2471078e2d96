using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Runtime.Tests.Configuration;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// Subscription resources read from YAML and delivered through a sidecar over a real Redis to a plain ASP.NET app
/// that has no subscribe handler of its own except for one topic, whose subscription replaces the declarative one.
/// </summary>
public sealed class DeclarativeSubscriptionTests : IAsyncLifetime
{
    private readonly TempFolder folder = new();
    private readonly ConcurrentQueue<(string Route, JsonNode Event)> received = new();
    private RedisServer redis = null!;
    private WebApplication app = null!;
    private IPubSub pubsub = null!;
    private DaprSidecar sidecar = null!;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        folder.Write("resources/pubsub.yaml", $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: pubsub
            spec:
              type: pubsub.redis
              metadata:
                - name: redisHost
                  value: {redis.ConnectionString}
            """);
        folder.Write("resources/subscriptions.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: widgets
            spec:
              pubsubname: pubsub
              topic: widgets
              routes:
                rules:
                  - match: event.type == "widget.large" && event.data.size > 10
                    path: /widgets/large
                default: /widgets
              deadLetterTopic: widgets-dead
            scopes: [factory]
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Subscription
            metadata:
              name: widgets-dead
            spec:
              pubsubname: pubsub
              topic: widgets-dead
              route: /dead
            ---
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: both
            spec:
              pubsubname: pubsub
              topic: both
              routes:
                default: /declared
            ---
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: elsewhere
            spec:
              pubsubname: pubsub
              topic: elsewhere
              routes:
                default: /elsewhere
            scopes: [another-app]
            """);
        var (components, resiliency, subscriptions) = ResourceLoader.Load([folder.Path + "/resources"], "factory");
        pubsub = ComponentFactory.CreatePubSub(components.Single());

        var port = LoopbackPorts.Free();
        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http1, port);
        app = builder.Build();
        // The app declares only the "both" topic itself, the way the Dapr SDK's subscribe handler answers.
        app.MapGet("/dapr/subscribe", () => Results.Json(new[] { new { pubsubname = "pubsub", topic = "both", route = "/programmatic" } }));
        foreach (var route in new[] { "/widgets", "/widgets/large", "/dead", "/declared", "/programmatic", "/elsewhere" })
        {
            app.MapPost(route, async (HttpRequest request) =>
            {
                var body = (await JsonNode.ParseAsync(request.Body))!;
                received.Enqueue((route, body));
                // Small widgets are refused for good, so they go to the dead-letter topic.
                return body["data"]?["size"]?.GetValue<int>() == 0 ? Results.Json(new { status = "DROP" }) : Results.Ok();
            });
        }

        await app.StartAsync();
        var directory = new AppDirectory();
        directory.Register(new AppEndpoint("factory", "127.0.0.1", port, "http"));
        sidecar = await DaprSidecar.StartAsync(
            new SidecarSettings(directory.Find("factory")!, 0, 0, new Dictionary<string, IStateStore>(), new Dictionary<string, IPubSub> { ["pubsub"] = pubsub }, components, resiliency, directory)
            {
                DeclaredSubscriptions = subscriptions,
            },
            NullLoggerFactory.Instance,
            CancellationToken.None);
        await sidecar.StartDeliveriesAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await sidecar.DisposeAsync();
        await app.DisposeAsync();
        await pubsub.DisposeAsync();
        await redis.DisposeAsync();
        folder.Dispose();
    }

    [Fact]
    public async Task Publish_RulesPickTheRoute_DefaultTakesTheRest()
    {
        await PublishAsync("widgets", new { id = "w-large", size = 50 }, "widget.large");
        await PublishAsync("widgets", new { id = "w-small-large-type", size = 5 }, "widget.large");
        await PublishAsync("widgets", new { id = "w-other", size = 50 }, "widget.other");

        await WaitForAsync(() => received.Count(r => r.Route.StartsWith("/widgets", StringComparison.Ordinal)) == 3);
        Assert.Equal("/widgets/large", RouteOf("w-large"));
        Assert.Equal("/widgets", RouteOf("w-small-large-type"));
        Assert.Equal("/widgets", RouteOf("w-other"));
    }

    [Fact]
    public async Task Publish_AppDrops_GoesToTheDeadLetterTopicsV1Alpha1Route()
    {
        await PublishAsync("widgets", new { id = "w-zero", size = 0 }, "widget.other");

        await WaitForAsync(() => received.Any(r => r.Route == "/dead" && r.Event["data"]!["id"]!.GetValue<string>() == "w-zero"));
        var dead = received.Single(r => r.Route == "/dead" && r.Event["data"]!["id"]!.GetValue<string>() == "w-zero").Event;
        Assert.Equal("w-zero", dead["data"]!["id"]!.GetValue<string>());
        Assert.Equal("widgets", dead["topic"]!.GetValue<string>()); // the original bytes, as daprd dead-letters them
    }

    [Fact]
    public async Task Publish_RuleFailsOnTheEvent_GoesToTheDeadLetterTopic()
    {
        // The rule reads event.data.size, which this event lacks: CEL fails, and the delivery fails with it.
        await PublishAsync("widgets", new { id = "w-sizeless" }, "widget.large");

        await WaitForAsync(() => received.Any(r => r.Route == "/dead" && r.Event["data"]!["id"]!.GetValue<string>() == "w-sizeless"));
        Assert.DoesNotContain(received, r => r.Route.StartsWith("/widgets", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Publish_TopicTheAppAlsoDeclares_TheAppsSubscriptionReplacesTheResource()
    {
        await PublishAsync("both", new { id = "b-1", size = 1 }, "widget.other");
        await PublishAsync("widgets", new { id = "w-after", size = 1 }, "widget.other");

        // Delivered in order per topic, so once the later widget arrived the earlier "both" event has been routed too.
        await WaitForAsync(() => received.Any(r => r.Route == "/programmatic") && RouteOf("w-after") is not null);
        Assert.DoesNotContain(received, r => r.Route == "/declared");
        Assert.Equal("b-1", received.Single(r => r.Route == "/programmatic").Event["data"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Publish_SubscriptionScopedToAnotherApp_IsNotDelivered()
    {
        await PublishAsync("elsewhere", new { id = "e-1", size = 1 }, "widget.other");
        await PublishAsync("widgets", new { id = "w-marker", size = 1 }, "widget.other");

        await WaitForAsync(() => RouteOf("w-marker") is not null);
        Assert.DoesNotContain(received, r => r.Route == "/elsewhere");
    }

    private string? RouteOf(string id) =>
        received.FirstOrDefault(r => r.Event["data"]?["id"]?.GetValue<string>() == id).Route;

    private async Task PublishAsync(string topic, object data, string type)
    {
        using var http = new HttpClient();
        var response = await http.PostAsJsonAsync($"http://127.0.0.1:{sidecar.HttpPort}/v1.0/publish/pubsub/{topic}?metadata.cloudevent.type={type}", data);
        response.EnsureSuccessStatusCode();
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "the expected deliveries did not arrive within 30s");
    }
}
