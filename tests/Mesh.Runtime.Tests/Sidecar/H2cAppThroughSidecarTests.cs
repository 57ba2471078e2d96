using System.Collections.Concurrent;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using Grpc.Health.V1;
using Mesh.Runtime.Sidecar;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// An h2c app (appProtocol h2c): one cleartext port that speaks HTTP/2 only, reached by the sidecar over HTTP/2
/// with prior knowledge for subscription discovery, deliveries and HTTP invocation, and by the gRPC proxy, which
/// daprd dials on the app port whatever the app protocol.
/// </summary>
public sealed class H2cAppThroughSidecarTests(H2cAppThroughSidecarTests.H2cAppTestbed fixture) : IClassFixture<H2cAppThroughSidecarTests.H2cAppTestbed>
{
    private readonly SidecarTestbed testbed = fixture.Testbed;
    private readonly ConcurrentQueue<(string Id, string Protocol)> deliveries = fixture.Deliveries;

    [Fact]
    public async Task Publish_ToH2cApp_IsDiscoveredAndDeliveredOverHttp2()
    {
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.PublishEventAsync("pubsub", "ledger-entries", new Order("h2c-1", 3));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!deliveries.Any(d => d.Id == "h2c-1") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains(("h2c-1", "HTTP/2"), deliveries);
    }

    [Fact]
    public async Task InvokeMethod_H2cApp_ReachesTheRouteOverHttp2()
    {
        using var http = DaprClient.CreateInvokeHttpClient("ledger", $"http://127.0.0.1:{testbed.CheckoutSidecar.HttpPort}");

        var protocol = await http.GetStringAsync("protocol");

        Assert.Equal("HTTP/2", protocol);
    }

    [Fact]
    public async Task GrpcProxy_H2cApp_ReachesItsGrpcService()
    {
        var invoker = DaprClient.CreateInvocationInvoker("ledger", $"http://127.0.0.1:{testbed.CheckoutSidecar.GrpcPort}");

        var reply = await new Health.HealthClient(invoker).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    public sealed class H2cAppTestbed : IAsyncLifetime
    {
        private WebApplication app = null!;

        public SidecarTestbed Testbed { get; } = new();

        public ConcurrentQueue<(string Id, string Protocol)> Deliveries { get; } = new();

        public async Task InitializeAsync()
        {
            await Testbed.InitializeAsync();
            var port = Mesh.Runtime.LoopbackPorts.Free();
            var sidecar = await Testbed.StartSidecarAsync(new AppEndpoint("ledger", "127.0.0.1", port, "h2c"));
            var builder = Mesh.Testing.LoopbackApp.CreateBuilder(HttpProtocols.Http2, port);
            builder.Services.AddGrpc();
            builder.Services.AddDaprClient(b => b.UseGrpcEndpoint($"http://127.0.0.1:{sidecar.GrpcPort}").UseHttpEndpoint($"http://127.0.0.1:{sidecar.HttpPort}"));
            app = builder.Build();
            app.UseCloudEvents();
            app.MapSubscribeHandler();
            app.MapPost("/entries", (Order order, HttpRequest request) =>
            {
                Deliveries.Enqueue((order.Id, request.Protocol));
                return Results.Ok();
            }).WithTopic("pubsub", "ledger-entries");
            app.MapGet("/protocol", (HttpRequest request) => Results.Text(request.Protocol));
            app.MapGrpcService<Serving>();
            await app.StartAsync();
            await Testbed.Host.StartDeliveriesWhenReadyAsync("ledger", TimeSpan.FromSeconds(30));
        }

        public async Task DisposeAsync()
        {
            await app.DisposeAsync();
            await Testbed.DisposeAsync();
        }
    }

    private sealed class Serving : Health.HealthBase
    {
        public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
            Task.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });
    }
}
