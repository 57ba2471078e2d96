using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>What an app saw of one call: its path, verb, and the Dapr headers it carried.</summary>
public sealed record SeenCall(string Path, string Method, string? Token, string? Caller);

/// <summary>
/// Sidecars with DAPR_API_TOKEN and APP_API_TOKEN, and apps whose Configuration has an access control list: "ledger"
/// (HTTP; billing may GET /records/*), "stock" (gRPC; billing may call Health/Check); "billing" and "intruder" are
/// callers without an app. Components are in memory: these tests are about who may call what.
/// </summary>
public sealed class SecureMeshTestbed : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> owned = [];

    public AppDirectory Directory { get; } = new();

    public ConcurrentQueue<SeenCall> LedgerCalls { get; } = new();

    public ConcurrentQueue<SeenCall> StockCalls { get; } = new();

    public DaprSidecar Ledger { get; private set; } = null!;

    public DaprSidecar Stock { get; private set; } = null!;

    public DaprSidecar Billing { get; private set; } = null!;

    public DaprSidecar Intruder { get; private set; } = null!;

    public static string ApiTokenOf(string appId) => $"dapr-token-of-{appId}";

    public static string AppTokenOf(string appId) => $"app-token-of-{appId}";

    private static readonly ComponentDefinition State = new("statestore", "state.in-memory", "v1", new Dictionary<string, string>(), [], "statestore.yaml");
    private static readonly ComponentDefinition PubSub = new("pubsub", "pubsub.in-memory", "v1", new Dictionary<string, string>(), [], "pubsub.yaml");
    private IStateStore stateStore = null!;
    private IPubSub pubSub = null!;

    public async Task InitializeAsync()
    {
        // One instance of each component for every sidecar, as mesh run shares them.
        stateStore = ComponentFactory.CreateStateStore(State);
        pubSub = ComponentFactory.CreatePubSub(PubSub);
        owned.Add(stateStore);
        owned.Add(pubSub);
        var ledgerPort = await StartAppAsync(HttpProtocols.Http1, app =>
        {
            app.Use(async (context, next) =>
            {
                LedgerCalls.Enqueue(Seen(context));
                await next(context);
            });
            app.MapGet("/dapr/subscribe", () => Results.Json(new[] { new { pubsubname = "pubsub", topic = "notes", route = "/notes" } }));
            app.MapPost("/notes", () => Results.Ok());
            app.Map("/records/{**rest}", (HttpContext context) => Results.Text($"{context.Request.Method} {context.Request.Path}"));
        });
        var stockPort = await StartAppAsync(HttpProtocols.Http2, app => app.MapGrpcService<HealthServiceImpl>(), services =>
        {
            services.AddGrpc(o => o.Interceptors.Add<Recording>());
            services.AddSingleton(new Recording(StockCalls));
            var health = new HealthServiceImpl();
            health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
            services.AddSingleton(health);
        });

        Ledger = await StartSidecarAsync("ledger", ledgerPort, "http", Acl(new AppOperationSpec("/records/*", ["GET"], "allow")));
        Stock = await StartSidecarAsync("stock", stockPort, "grpc", Acl(new AppOperationSpec("/grpc.health.v1.Health/Check", [], "allow")));
        Billing = await StartSidecarAsync("billing", 0, "http", null);
        Intruder = await StartSidecarAsync("intruder", 0, "http", null);
        await Ledger.StartDeliveriesAsync(CancellationToken.None);
    }

    /// <summary>A stock Dapr client of a sidecar, with its DAPR_API_TOKEN unless <paramref name="token"/> says otherwise.</summary>
    public Dapr.Client.DaprClient ClientFor(DaprSidecar sidecar, string? token = "")
    {
        var builder = new Dapr.Client.DaprClientBuilder()
            .UseGrpcEndpoint($"http://127.0.0.1:{sidecar.GrpcPort}")
            .UseHttpEndpoint($"http://127.0.0.1:{sidecar.HttpPort}");
        if (token != null)
        {
            builder.UseDaprApiToken(token.Length == 0 ? sidecar.ApiToken! : token);
        }

        var client = builder.Build();
        owned.Add(new Disposer(client.Dispose));
        return client;
    }

    /// <summary>A Health client that reaches "stock" through <paramref name="sidecar"/> by dapr-app-id, with <paramref name="token"/>.</summary>
    public Health.HealthClient StockThrough(DaprSidecar sidecar, string? token) =>
        new(Dapr.Client.DaprClient.CreateInvocationInvoker("stock", $"http://127.0.0.1:{sidecar.GrpcPort}", token ?? ""));

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(owned))
        {
            await item.DisposeAsync();
        }
    }

    // Callers in the "public" trust domain and "default" namespace, as self-hosted daprd names them.
    private static AccessControlSpec Acl(AppOperationSpec billingMay) =>
        new("deny", "public", [new AppPolicySpec("billing", "deny", "public", "default", [billingMay])]);

    private static SeenCall Seen(HttpContext context) =>
        new(context.Request.Path, context.Request.Method, context.Request.Headers["dapr-api-token"].FirstOrDefault(), context.Request.Headers["dapr-caller-app-id"].FirstOrDefault());

    private async Task<int> StartAppAsync(HttpProtocols protocols, Action<WebApplication> map, Action<IServiceCollection>? services = null)
    {
        var builder = LoopbackApp.CreateBuilder(protocols);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        owned.Add(app);
        return LoopbackApp.AddressOf(app).Port;
    }

    private async Task<DaprSidecar> StartSidecarAsync(string appId, int port, string protocol, AccessControlSpec? acl)
    {
        var app = new AppEndpoint(appId, "127.0.0.1", port, protocol);
        Directory.Register(app);
        var sidecar = await DaprSidecar.StartAsync(
            new SidecarSettings(app, 0, 0, new Dictionary<string, IStateStore> { ["statestore"] = stateStore }, new Dictionary<string, IPubSub> { ["pubsub"] = pubSub },
                [State, PubSub], ResiliencySpec.None, Directory, DaprConfiguration.Default with { AccessControl = acl })
            {
                ApiToken = ApiTokenOf(appId),
                AppApiToken = port == 0 ? null : AppTokenOf(appId),
            },
            NullLoggerFactory.Instance,
            CancellationToken.None);
        owned.Add(sidecar);
        return sidecar;
    }

    private sealed class Recording(ConcurrentQueue<SeenCall> calls) : Interceptor
    {
        public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        {
            calls.Enqueue(new SeenCall(context.Method, "POST", context.RequestHeaders.GetValue("dapr-api-token"), context.RequestHeaders.GetValue("dapr-caller-app-id")));
            return continuation(request, context);
        }
    }

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
