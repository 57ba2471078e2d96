using System.Collections.Concurrent;
using Dapr.AppCallback.Autogen.Grpc.v1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Runtime.Components;
using Mesh.Runtime.Sidecar;
using Mesh.Runtime.Tests.Components;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Tests.Logging;

/// <summary>
/// A grpc app whose errors carry patient data in their status details: the sidecar's logs name the failure (its type
/// and status code, the topic, the message id) but never repeat what the app said.
/// </summary>
public sealed class SidecarLogPrivacyTests : IAsyncLifetime
{
    private const string Phi = "Jane Doe MRN 00412345";

    private readonly CapturedLogs logs = new();
    private readonly ILoggerFactory loggerFactory;
    private WebApplication app = null!;
    private IPubSub pubsub = null!;
    private DaprSidecar sidecar = null!;
    private AppEndpoint endpoint = null!;

    public SidecarLogPrivacyTests() => loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));

    public async Task InitializeAsync()
    {
        var port = LoopbackPorts.Free();
        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http2, port);
        builder.Services.AddGrpc();
        app = builder.Build();
        app.MapGrpcService<RevealingCallback>();
        await app.StartAsync();
        endpoint = new AppEndpoint("charts", "127.0.0.1", port, "grpc");
        var definition = TestComponents.Define("pubsub", "pubsub.in-memory", ("redeliverInterval", "1h"));
        pubsub = ComponentFactory.CreatePubSub(definition);
        var directory = new AppDirectory();
        directory.Register(endpoint);
        sidecar = await DaprSidecar.StartAsync(
            new SidecarSettings(endpoint, 0, 0, new Dictionary<string, IStateStore>(), new Dictionary<string, IPubSub> { ["pubsub"] = pubsub }, [definition], Mesh.Runtime.Configuration.ResiliencySpec.None, directory),
            loggerFactory,
            CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await sidecar.DisposeAsync();
        await pubsub.DisposeAsync();
        await app.DisposeAsync();
        loggerFactory.Dispose();
    }

    [Fact]
    public async Task FailedDelivery_LogsTheStatusCodeNotTheAppsDetail()
    {
        await sidecar.StartDeliveriesAsync(CancellationToken.None);

        await pubsub.PublishAsync("charts", """{"specversion":"1.0","id":"evt-1","source":"s","type":"t","datacontenttype":"application/json","data":{}}"""u8.ToArray(), new Dictionary<string, string>(), CancellationToken.None);

        var line = await logs.WaitForAsync(l => l.Contains("evt-1", StringComparison.Ordinal) || l.Contains("charts", StringComparison.Ordinal) && l.Contains("failed", StringComparison.Ordinal));
        Assert.Contains("RpcException", line, StringComparison.Ordinal);
        Assert.Contains("Internal", line, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.All, l => l.Contains("Jane", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FailedSubscriptionDiscovery_LogsTheStatusCodeNotTheAppsDetail()
    {
        RevealingCallback.FailDiscovery = true;
        try
        {
            await sidecar.StartDeliveriesAsync(CancellationToken.None);
        }
        finally
        {
            RevealingCallback.FailDiscovery = false;
        }

        var line = Assert.Single(logs.All, l => l.Contains("subscriptions of charts", StringComparison.Ordinal));
        Assert.Contains("RpcException", line, StringComparison.Ordinal);
        Assert.Contains("PermissionDenied", line, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.All, l => l.Contains("Jane", StringComparison.Ordinal));
    }

    private sealed class RevealingCallback : AppCallback.AppCallbackBase
    {
        public static volatile bool FailDiscovery;

        public override Task<ListTopicSubscriptionsResponse> ListTopicSubscriptions(Empty request, ServerCallContext context) =>
            FailDiscovery
                ? throw new RpcException(new Status(StatusCode.PermissionDenied, $"no access to the chart of {Phi}"))
                : Task.FromResult(new ListTopicSubscriptionsResponse { Subscriptions = { new TopicSubscription { PubsubName = "pubsub", Topic = "charts", Routes = new TopicRoutes { Default = "/charts" } } } });

        public override Task<TopicEventResponse> OnTopicEvent(TopicEventRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.Internal, $"chart of {Phi} is locked"));
    }

    /// <summary>Every log line of the sidecar, rendered with its exception, as a console would print it.</summary>
    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> lines = new();

        public IReadOnlyCollection<string> All => [.. lines];

        public ILogger CreateLogger(string categoryName) => new Logger(lines);

        public async Task<string> WaitForAsync(Func<string, bool> match)
        {
            for (var i = 0; i < 400; i++)
            {
                if (lines.FirstOrDefault(match) is { } line)
                {
                    return line;
                }

                await Task.Delay(25);
            }

            throw new TimeoutException("no such log line within 10s");
        }

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception) + (exception is null ? "" : Environment.NewLine + exception));
        }
    }
}
