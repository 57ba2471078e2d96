using System.Net;
using System.Net.Sockets;
using Grpc.AspNetCore.Server.Model;
using Mesh.Runtime.Components;
using Mesh.Runtime.Sidecar.Grpc;
using Mesh.Runtime.Sidecar.Http;
using Mesh.Runtime.Sidecar.Invocation;
using Mesh.Runtime.Sidecar.PubSub;
using Mesh.Runtime.Sidecar.Secrets;
using Mesh.Runtime.Sidecar.State;
using Mesh.Runtime.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Sidecar;

/// <summary>
/// One Dapr-compatible sidecar: the Dapr gRPC API (HTTP/2) and HTTP API (HTTP/1.1) for one app on
/// 127.0.0.1, plus delivery of the app's subscriptions once <see cref="StartDeliveriesAsync"/> is called.
/// </summary>
public sealed class DaprSidecar : IAsyncDisposable
{
    private readonly WebApplication host;
    private readonly List<IAsyncDisposable> deliveries = [];

    private readonly InboundCalls inbound;
    private int disposed;

    private DaprSidecar(WebApplication host, int httpPort, int grpcPort, InboundCalls inbound)
    {
        this.host = host;
        this.inbound = inbound;
        HttpPort = httpPort;
        GrpcPort = grpcPort;
    }

    /// <summary>The Dapr HTTP API port on 127.0.0.1.</summary>
    public int HttpPort { get; }

    /// <summary>The Dapr gRPC API port on 127.0.0.1.</summary>
    public int GrpcPort { get; }

    /// <summary>Starts serving the Dapr APIs; deliveries start later, once the app is healthy.</summary>
    public static async Task<DaprSidecar> StartAsync(SidecarSettings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var health = new SidecarHealth(settings);
        // Every call the sidecar makes to a component runs under that component's outbound Resiliency policies.
        settings = Resiliency.ResilientComponents.Apply(settings);
        var httpPort = settings.HttpPort == 0 ? LoopbackPorts.Free() : settings.HttpPort;
        var grpcPort = settings.GrpcPort == 0 ? LoopbackPorts.Free() : settings.GrpcPort;
        var builder = WebApplication.CreateSlimBuilder();
        // A sidecar takes nothing from the host process's configuration (appsettings.json, ASPNETCORE_URLS, ...):
        // an app's Kestrel endpoints there must not become the sidecar's.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, httpPort, o => o.Protocols = HttpProtocols.Http1);
            kestrel.Listen(IPAddress.Loopback, grpcPort, o => o.Protocols = HttpProtocols.Http2);
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(health);
        builder.Services.AddSingleton<AppChannels>();
        builder.Services.AddSingleton<InboundCalls>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TransactionalOutbox>();
        builder.Services.AddSingleton<OutboxRelay>();
        builder.Services.AddSingleton<StateApi>();
        builder.Services.AddSingleton<SecretsApi>();
        builder.Services.AddSingleton<PublishApi>();
        builder.Services.AddSingleton<InvocationApi>();
        builder.Services.AddSingleton<SubscriptionRegistry>();
        builder.Services.AddSingleton<SubscriptionDiscovery>();
        builder.Services.AddSingleton<GrpcProxy>();
        builder.Services.AddSingleton<DaprGrpcApi>();
        builder.Services.AddHttpForwarder();
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton<IServiceMethodProvider<DaprGrpcApi>, DaprServiceMethodProvider>();
        builder.Services.AddSingleton<IWorkflowStore>(_ => WorkflowStores.For(settings));
        builder.Services.AddSingleton(services => new WorkflowEngine(services.GetRequiredService<IWorkflowStore>(), settings.Configuration.Workflow, settings.WorkflowTime, services.GetRequiredService<ILogger<WorkflowEngine>>()));
        builder.Services.AddSingleton<WorkflowQueries>();
        builder.Services.AddSingleton<TaskHubApi>();
        builder.Services.AddSingleton<IServiceMethodProvider<TaskHubApi>, TaskHubServiceMethodProvider>();

        var app = builder.Build();
        var proxy = app.Services.GetRequiredService<GrpcProxy>();
        if (!string.IsNullOrEmpty(settings.ApiToken))
        {
            var token = settings.ApiToken;
            app.Use((context, next) => context.Connection.LocalPort == grpcPort
                ? ApiTokenCheck.GrpcAsync(context, token, _ => next())
                : ApiTokenCheck.HttpAsync(context, token, _ => next()));
        }

        app.Use(async (context, next) =>
        {
            // gRPC calls for another app: daprd's proxy mode, selected by the dapr-app-id metadata.
            if (context.Connection.LocalPort == grpcPort
                && context.Request.Headers.ContainsKey(GrpcProxy.AppIdHeader)
                && !context.Request.Path.StartsWithSegments("/dapr.proto.runtime.v1.Dapr")
                && !context.Request.Path.StartsWithSegments("/" + TaskHubServiceMethodProvider.ServiceName))
            {
                try
                {
                    await proxy.ForwardGrpcAsync(context);
                }
                catch (global::Grpc.Core.RpcException e)
                {
                    context.Response.ContentType = "application/grpc";
                    context.Response.AppendTrailer("grpc-status", ((int)e.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(e.Status.Detail));
                }

                return;
            }

            await next(context);
        });
        app.MapGrpcService<DaprGrpcApi>().RequireHost($"*:{grpcPort}");
        app.MapGrpcService<TaskHubApi>().RequireHost($"*:{grpcPort}");
        app.MapDaprHttpApi(httpPort);
        await app.StartAsync(cancellationToken);
        // Created now, not on the first workflow call, so unfinished instances resume when the sidecar starts.
        app.Services.GetRequiredService<WorkflowEngine>();
        // From now on calls for the app come through this sidecar, which checks them and carries the app's token.
        var inbound = app.Services.GetRequiredService<InboundCalls>();
        settings.Directory.Attach(inbound);
        var sidecar = new DaprSidecar(app, httpPort, grpcPort, inbound);
        // daprd relays outbox messages once the app is healthy, which without a health check is at start; the relay
        // never calls the app, so here it starts with the sidecar.
        sidecar.deliveries.AddRange(await app.Services.GetRequiredService<OutboxRelay>().StartAsync(cancellationToken));
        return sidecar;
    }

    /// <summary>A service of the sidecar (its workflow engine, ...), for tests that look inside.</summary>
    internal T Service<T>()
        where T : notnull => host.Services.GetRequiredService<T>();

    /// <summary>Asks the app for its subscriptions (GET /dapr/subscribe or ListTopicSubscriptions) and starts delivering.</summary>
    public async Task StartDeliveriesAsync(CancellationToken cancellationToken)
    {
        var services = host.Services;
        var settings = services.GetRequiredService<SidecarSettings>();
        var subscriptions = await services.GetRequiredService<SubscriptionDiscovery>().DiscoverAsync(cancellationToken);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger($"Mesh.Runtime.Delivery.{settings.App.AppId}");
        foreach (var subscription in subscriptions)
        {
            var channels = services.GetRequiredService<AppChannels>();
            var pipeline = new DeliveryPipeline(settings, subscription, channels, logger);
            // The consumer group is the component's consumerID when set, else the app id, as in daprd.
            var group = settings.Components.FirstOrDefault(c => c.Name == subscription.PubsubName)?.Metadata.GetValueOrDefault("consumerID") is { Length: > 0 } consumerId
                ? consumerId
                : settings.App.AppId;
            var pubsub = settings.PubSubs[subscription.PubsubName];
            if (subscription.Bulk is null)
            {
                deliveries.Add(await pubsub.SubscribeAsync(subscription.Topic, group, pipeline.HandleAsync, cancellationToken));
            }
            else
            {
                var batches = new BulkDeliveryPipeline(pipeline, settings, channels, logger);
                try
                {
                    // The component's handlers go first when stopping: their messages are then no longer waited for.
                    deliveries.Add(await pubsub.SubscribeAsync(new TopicSubscribeRequest(subscription.Topic, group, batches.Concurrency), batches.HandleAsync, cancellationToken));
                }
                catch
                {
                    await batches.DisposeAsync();
                    throw;
                }

                deliveries.Add(batches);
            }

            logger.LogInformation("Delivering {Topic} from {PubSub} to {App}", subscription.Topic, subscription.PubsubName, settings.App.AppId);
        }

        services.GetRequiredService<SubscriptionRegistry>().Set(subscriptions);
        services.GetRequiredService<SidecarHealth>().Initialized();
    }

    /// <summary>The DAPR_API_TOKEN calls to this sidecar must carry; null when its APIs are open.</summary>
    public string? ApiToken => host.Services.GetRequiredService<SidecarSettings>().ApiToken;

    /// <summary>
    /// The environment the Dapr CLI gives the app of this sidecar (<see cref="DaprAppEnvironment"/>): its ports and
    /// endpoints, and DAPR_API_TOKEN and APP_API_TOKEN when set.
    /// </summary>
    public Dictionary<string, string> AppEnvironment() => DaprAppEnvironment.For(host.Services.GetRequiredService<SidecarSettings>(), HttpPort, GrpcPort);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // A second dispose (a test stopping the sidecar early, then its fixture) finds the host gone: nothing to do.
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        host.Services.GetRequiredService<SidecarSettings>().Directory.Detach(inbound);
        foreach (var delivery in deliveries)
        {
            await delivery.DisposeAsync();
        }

        await host.StopAsync();
        await host.DisposeAsync();
    }
}
