using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr;
using Dapr.AspNetCore;
using Dapr.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>An order published in the tests.</summary>
public sealed record Order(string Id, int Quantity);

/// <summary>
/// An idiomatic Dapr.AspNetCore app: UseCloudEvents, MapSubscribeHandler, WithTopic, DaprClient from
/// AddDaprClient. Each topic has a behaviour the test controls, and every delivery is recorded.
/// </summary>
public sealed class SubscriberApp : IAsyncDisposable
{
    private readonly WebApplication app;

    private SubscriberApp(WebApplication app, Recorder recorder)
    {
        this.app = app;
        Recorder = recorder;
    }

    public Recorder Recorder { get; }

    public DaprClient Dapr => app.Services.GetRequiredService<DaprClient>();

    public static async Task<SubscriberApp> StartAsync(int port, int sidecarHttpPort, int sidecarGrpcPort, Recorder recorder)
    {
        var builder = Mesh.Testing.LoopbackApp.CreateBuilder(HttpProtocols.Http1, port);
        builder.Services.AddDaprClient(b => b.UseGrpcEndpoint($"http://127.0.0.1:{sidecarGrpcPort}").UseHttpEndpoint($"http://127.0.0.1:{sidecarHttpPort}"));
        builder.Services.AddSingleton(recorder);
        var app = builder.Build();
        app.UseCloudEvents();
        app.MapSubscribeHandler();

        // Typed model binding after UseCloudEvents unwrapped the envelope.
        app.MapPost("/orders", (Order order, Recorder r) =>
        {
            r.Add("orders", JsonSerializer.SerializeToNode(order, JsonSerializerOptions.Web)!);
            return Results.Ok();
        }).WithTopic("pubsub", "orders");

        // rawPayload: the sidecar wraps the stored bytes (daprd's envelope) in data_base64 and UseCloudEvents
        // unwraps that, so this route sees the envelope exactly as daprd stored it.
        app.MapPost("/envelopes", async (HttpRequest request, Recorder r) =>
        {
            r.Add("envelopes", (await JsonNode.ParseAsync(request.Body))!);
            return Results.Ok();
        }).WithTopic("pubsub", "envelopes", new Dictionary<string, string> { ["rawPayload"] = "true" });

        // Answers what the test scripted for the topic, in order; SUCCESS once the script is used up.
        // One fixed route per topic: the SDK's subscribe handler fails on routes with parameters.
        foreach (var (topic, deadLetter) in new[] { ("flaky", (string?)null), ("poison", "poison-dead"), ("failing", "failing-dead"), ("crash", null) })
        {
            app.MapPost($"/scripted/{topic}", async (HttpRequest request, Recorder r) =>
            {
                using var reader = new StreamReader(request.Body);
                r.Add(topic, JsonNode.Parse(await reader.ReadToEndAsync()) ?? new JsonObject());
                var (status, body) = r.NextAnswer(topic);
                await r.WaitIfBlockedAsync(topic);
                return Results.Text(body, "application/json", statusCode: status);
            }).WithTopic(new TopicOptions { PubsubName = "pubsub", Name = topic, DeadLetterTopic = deadLetter });
        }

        foreach (var topic in new[] { "poison-dead", "failing-dead" })
        {
            app.MapPost($"/dead/{topic}", async (HttpRequest request, Recorder r) =>
            {
                r.Add(topic, (await JsonNode.ParseAsync(request.Body))!);
                return Results.Ok();
            }).WithTopic("pubsub", topic);
        }

        // Bulk subscriptions: each request is recorded whole (with its content type) and each entry answered by its
        // order id (see Recorder.BulkAnswer), unless the test scripted an HTTP answer for the whole request.
        foreach (var (topic, deadLetter) in new[] { ("bulk-orders", (string?)null), ("bulk-mixed", "bulk-mixed-dead"), ("bulk-down", null) })
        {
            app.MapPost($"/bulk/{topic}", async (HttpRequest request, Recorder r) =>
            {
                var body = (await JsonNode.ParseAsync(request.Body))!;
                body["content-type"] = request.ContentType;
                r.Add(topic, body);
                var (status, text) = r.NextAnswer(topic);
                if (status != StatusCodes.Status200OK)
                {
                    return Results.Text(text, "application/json", statusCode: status);
                }

                var message = body.Deserialize<BulkSubscribeMessage<BulkMessageModel<Order>>>(JsonSerializerOptions.Web)!;
                var statuses = message.Entries
                    .Select(e => (e.EntryId, Status: r.BulkAnswer(e.Event.Data.Id)))
                    .Where(e => e.Status is not null)
                    .Select(e => new BulkSubscribeAppResponseEntry(e.EntryId, e.Status!.Value))
                    .ToList();
                return Results.Ok(new BulkSubscribeAppResponse(statuses));
            })
            .WithTopic(new TopicOptions { PubsubName = "pubsub", Name = topic, DeadLetterTopic = deadLetter })
            .WithBulkSubscribe(new BulkSubscribeTopicOptions { TopicName = topic, MaxMessagesCount = 10, MaxAwaitDurationMs = 200 });
        }

        // rawPayload in bulk: each entry's event is the published bytes, base64.
        app.MapPost("/bulk/raw", async (HttpRequest request, Recorder r) =>
        {
            var body = (await JsonNode.ParseAsync(request.Body))!;
            r.Add("bulk-raw", body);
            var statuses = body["entries"]!.AsArray().Select(e => new BulkSubscribeAppResponseEntry(e!["entryId"]!.GetValue<string>(), BulkSubscribeAppResponseStatus.SUCCESS)).ToList();
            return Results.Ok(new BulkSubscribeAppResponse(statuses));
        })
        .WithTopic("pubsub", "bulk-raw", new Dictionary<string, string> { ["rawPayload"] = "true" })
        .WithBulkSubscribe(new BulkSubscribeTopicOptions { TopicName = "bulk-raw", MaxMessagesCount = 10, MaxAwaitDurationMs = 200 });

        app.MapPost("/dead/bulk-mixed-dead", async (HttpRequest request, Recorder r) =>
        {
            r.Add("bulk-mixed-dead", (await JsonNode.ParseAsync(request.Body))!);
            return Results.Ok();
        }).WithTopic("pubsub", "bulk-mixed-dead");

        // Content-based routing: a CEL rule on the CloudEvent type.
        app.MapPost("/payments", (JsonElement body, Recorder r) => { r.Add("payments-default", JsonSerializer.SerializeToNode(body)!); return Results.Ok(); })
            .WithTopic("pubsub", "payments");
        app.MapPost("/payments-failed", (JsonElement body, Recorder r) => { r.Add("payments-failed", JsonSerializer.SerializeToNode(body)!); return Results.Ok(); })
            .WithTopic(new TopicOptions { PubsubName = "pubsub", Name = "payments", Match = "event.type == \"payment.failed\"", Priority = 1 });

        app.MapGet("/hello/{name}", (string name, HttpRequest request) =>
            Results.Json(new { greeting = $"hello {name}", caller = request.Headers["dapr-caller-app-id"].ToString() }));

        await app.StartAsync();
        return new SubscriberApp(app, recorder);
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await app.StopAsync(grace.Token);
        await app.DisposeAsync();
    }
}

/// <summary>What the subscriber received and when (on <paramref name="clock"/>, the system clock when null), and how it should answer.</summary>
public sealed class Recorder(TimeProvider? clock = null)
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<JsonNode>> received = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<DateTimeOffset>> arrivals = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string Body)>> answers = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> blocked = new();
    private readonly ConcurrentDictionary<string, byte> seenInBulk = new();

    public IReadOnlyList<JsonNode> Received(string topic) => received.GetOrAdd(topic, _ => new()).ToList();

    /// <summary>When each delivery on <paramref name="topic"/> arrived, in order.</summary>
    public IReadOnlyList<DateTimeOffset> ArrivalTimes(string topic) => arrivals.GetOrAdd(topic, _ => new()).ToList();

    public void Add(string topic, JsonNode node)
    {
        arrivals.GetOrAdd(topic, _ => new()).Enqueue((clock ?? TimeProvider.System).GetUtcNow());
        received.GetOrAdd(topic, _ => new()).Enqueue(node);
    }

    public void Script(string topic, params (int Status, string Body)[] sequence)
    {
        var queue = answers.GetOrAdd(topic, _ => new());
        foreach (var answer in sequence)
        {
            queue.Enqueue(answer);
        }
    }

    public (int Status, string Body) NextAnswer(string topic) =>
        answers.GetOrAdd(topic, _ => new()).TryDequeue(out var answer) ? answer : (200, """{"status":"SUCCESS"}""");

    /// <summary>
    /// A bulk entry's answer by its order id: "drop-…" DROP; "retry-…" RETRY the first time, "missing-…" left out of
    /// the answer the first time, then SUCCESS; anything else SUCCESS.
    /// </summary>
    public BulkSubscribeAppResponseStatus? BulkAnswer(string orderId)
    {
        var firstTime = seenInBulk.TryAdd(orderId, 0);
        return orderId switch
        {
            _ when orderId.StartsWith("drop-", StringComparison.Ordinal) => BulkSubscribeAppResponseStatus.DROP,
            _ when orderId.StartsWith("retry-", StringComparison.Ordinal) && firstTime => BulkSubscribeAppResponseStatus.RETRY,
            _ when orderId.StartsWith("missing-", StringComparison.Ordinal) && firstTime => null,
            _ => BulkSubscribeAppResponseStatus.SUCCESS,
        };
    }

    /// <summary>Makes deliveries on the topic hang until released (to kill the app mid-delivery).</summary>
    public TaskCompletionSource Block(string topic) => blocked.GetOrAdd(topic, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    public Task WaitIfBlockedAsync(string topic) => blocked.TryGetValue(topic, out var gate) ? gate.Task : Task.CompletedTask;

    public void Unblock(string topic)
    {
        if (blocked.TryRemove(topic, out var gate))
        {
            gate.TrySetResult();
        }
    }

    public async Task<IReadOnlyList<JsonNode>> WaitForAsync(string topic, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (Received(topic).Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {count} deliveries on '{topic}', got {Received(topic).Count}");
            }

            await Task.Delay(50);
        }

        return Received(topic);
    }
}
