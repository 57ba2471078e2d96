using System.Net;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using Grpc.Health.V1;
using Mesh.Runtime.Sidecar;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>Service invocation with the stock SDK: gRPC proxying by dapr-app-id, and HTTP invoke.</summary>
public sealed class InvocationThroughSidecarTests(SidecarTestbed testbed) : IClassFixture<SidecarTestbed>
{
    [Fact]
    public async Task GrpcProxy_AcrossTwoApps_CarriesTheCallerAppId()
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();
        var seen = new CallerLog();
        var builder = Mesh.Testing.LoopbackApp.CreateBuilder(HttpProtocols.Http2, port);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(seen);
        await using var inventory = builder.Build();
        inventory.MapGrpcService<CallerRecordingHealth>();
        await inventory.StartAsync();
        var endpoint = new AppEndpoint("inventory", "127.0.0.1", port, "grpc");
        testbed.Directory.Register(endpoint);
        await testbed.StartSidecarAsync(endpoint);

        var invoker = DaprClient.CreateInvocationInvoker("inventory", $"http://127.0.0.1:{testbed.CheckoutSidecar.GrpcPort}");
        var reply = await new Health.HealthClient(invoker).CheckAsync(new HealthCheckRequest { Service = "stock" });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        Assert.Equal("checkout", seen.Caller);
        Assert.Null(seen.AppIdHeader);
        Assert.Equal("stock", seen.Service);
    }

    [Fact]
    public async Task GrpcProxy_UnknownApp_IsNotFound()
    {
        var invoker = DaprClient.CreateInvocationInvoker("nowhere", $"http://127.0.0.1:{testbed.CheckoutSidecar.GrpcPort}");

        var error = await Assert.ThrowsAsync<RpcException>(() => new Health.HealthClient(invoker).CheckAsync(new HealthCheckRequest()).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("nowhere", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeMethod_Http_ReachesTheRouteWithTheCallerAppId()
    {
        using var http = DaprClient.CreateInvokeHttpClient("orders", $"http://127.0.0.1:{testbed.CheckoutSidecar.HttpPort}");

        var reply = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<HelloReply>(http, "hello/ada");

        Assert.NotNull(reply);
        Assert.Equal("hello ada", reply.Greeting);
        Assert.Equal("checkout", reply.Caller);
    }

    [Fact]
    public async Task HealthAndMetadata_AnswerAsDaprd()
    {
        var client = testbed.ClientFor(testbed.OrdersSidecar);

        var healthy = await client.CheckHealthAsync();
        await client.WaitForSidecarAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        var metadata = await client.GetMetadataAsync();
        using var http = new HttpClient();
        var raw = await http.GetStringAsync($"http://127.0.0.1:{testbed.OrdersSidecar.HttpPort}/v1.0/metadata");

        Assert.True(healthy);
        Assert.Equal("orders", metadata.Id);
        Assert.Contains(metadata.Components, c => c.Name == "pubsub" && c.Type == "pubsub.redis");
        Assert.Contains("\"topic\":\"orders\"", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnsupportedApi_IsUnimplementedNamingIt()
    {
        var client = testbed.ClientFor(testbed.CheckoutSidecar);

        var error = await Assert.ThrowsAsync<DaprException>(() => client.GetConfiguration("settings", ["feature-x"]));

        var rpc = Assert.IsType<RpcException>(error.InnerException);
        Assert.Equal(StatusCode.Unimplemented, rpc.StatusCode);
        Assert.Contains("dapr.proto.runtime.v1.Dapr.GetConfiguration", rpc.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpApi_MalformedStateBody_Is400WithDaprErrorCode()
    {
        using var http = new HttpClient();

        using var response = await http.PostAsync(
            $"http://127.0.0.1:{testbed.CheckoutSidecar.HttpPort}/v1.0/state/statestore",
            new StringContent("[{\"key\": 42", System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ERR_MALFORMED_REQUEST", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpApi_UnknownPubSub_Is404()
    {
        using var http = new HttpClient();

        using var response = await http.PostAsync(
            $"http://127.0.0.1:{testbed.CheckoutSidecar.HttpPort}/v1.0/publish/nope/orders",
            new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("ERR_PUBSUB_NOT_FOUND", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private sealed record HelloReply(string Greeting, string Caller);

    private sealed class CallerLog
    {
        public string? Caller { get; set; }

        public string? AppIdHeader { get; set; }

        public string? Service { get; set; }
    }

    private sealed class CallerRecordingHealth(CallerLog log) : Health.HealthBase
    {
        public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context)
        {
            log.Caller = context.RequestHeaders.GetValue("dapr-caller-app-id");
            log.AppIdHeader = context.RequestHeaders.GetValue("dapr-app-id");
            log.Service = request.Service;
            return Task.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });
        }
    }
}
