using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapr.Client;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// Dapr's own controls between sidecars and apps, checked with the stock SDK: DAPR_API_TOKEN on the sidecar's HTTP and
/// gRPC APIs, APP_API_TOKEN on every call a sidecar makes to its app, and the callee's access control list on gRPC
/// proxying, HTTP invocation and InvokeService, each answering as daprd does.
/// </summary>
public sealed class SecurityThroughSidecarTests(SecureMeshTestbed mesh) : IClassFixture<SecureMeshTestbed>
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task HttpApi_WithoutToken_Is401InvalidApiToken()
    {
        using var response = await Http.GetAsync($"http://127.0.0.1:{mesh.Billing.HttpPort}/v1.0/metadata");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid api token\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HttpApi_HealthProbesWithoutToken_AreAnswered()
    {
        using var healthz = await Http.GetAsync($"http://127.0.0.1:{mesh.Billing.HttpPort}/v1.0/healthz");
        using var outbound = await Http.GetAsync($"http://127.0.0.1:{mesh.Billing.HttpPort}/v1.0/healthz/outbound");

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (healthz.StatusCode, outbound.StatusCode));
    }

    [Fact]
    public async Task HttpApi_WrongToken_Is401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.Billing.HttpPort}/v1.0/metadata");
        request.Headers.Add("dapr-api-token", SecureMeshTestbed.ApiTokenOf("intruder"));

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task GrpcApi_WithoutToken_UnauthenticatedWithDaprsErrorInfo()
    {
        var client = mesh.ClientFor(mesh.Billing, token: null);

        var error = Assert.IsType<RpcException>((await Assert.ThrowsAsync<Dapr.DaprException>(() => client.GetStateAsync<string>("statestore", "k"))).InnerException);

        Assert.Equal((StatusCode.Unauthenticated, "Unauthorized"), (error.StatusCode, error.Status.Detail));
        var info = ErrorInfoOf(error);
        Assert.Equal(("Unauthorized", "dapr.io", "401", "missing api token in request metadata"), (info.Reason, info.Domain, info.Metadata["http.code"], info.Metadata["http.error_message"]));
    }

    [Fact]
    public async Task GrpcApi_AnotherSidecarsToken_IsAMismatch()
    {
        var client = mesh.ClientFor(mesh.Billing, token: SecureMeshTestbed.ApiTokenOf("intruder"));

        var error = Assert.IsType<RpcException>((await Assert.ThrowsAsync<Dapr.DaprException>(() => client.GetStateAsync<string>("statestore", "k"))).InnerException);

        Assert.Equal("authentication error: api token mismatch", ErrorInfoOf(error).Metadata["http.error_message"]);
    }

    [Fact]
    public async Task GrpcApi_WithToken_Works()
    {
        var client = mesh.ClientFor(mesh.Billing);

        await client.SaveStateAsync("statestore", "k", "v");

        Assert.Equal("v", await client.GetStateAsync<string>("statestore", "k"));
    }

    [Fact]
    public async Task GrpcProxy_WithoutToken_IsRefusedBeforeTheApp()
    {
        var calls = mesh.StockCalls.Count;

        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.StockThrough(mesh.Billing, token: null).CheckAsync(new HealthCheckRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal(calls, mesh.StockCalls.Count);
    }

    [Fact]
    public async Task GrpcProxy_Allowed_AppSeesItsOwnTokenAndTheCallerNeverTheCallersToken()
    {
        var reply = await mesh.StockThrough(mesh.Billing, SecureMeshTestbed.ApiTokenOf("billing")).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        var seen = mesh.StockCalls.Last(c => c.Caller == "billing");
        Assert.Equal(SecureMeshTestbed.AppTokenOf("stock"), seen.Token);
    }

    [Fact]
    public async Task GrpcProxy_Denied_PermissionDeniedWithDaprsMessage()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            mesh.StockThrough(mesh.Intruder, SecureMeshTestbed.ApiTokenOf("intruder")).CheckAsync(new HealthCheckRequest()).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("access control policy has denied access to id: spiffe://public/ns/default/intruder operation: /grpc.health.v1.Health/Check verb: NONE", error.Status.Detail);
    }

    [Fact]
    public async Task GrpcProxy_AllowedCallerButOperationNotListed_IsDenied()
    {
        var stock = mesh.StockThrough(mesh.Billing, SecureMeshTestbed.ApiTokenOf("billing"));

        var error = await Assert.ThrowsAsync<RpcException>(() => stock.Watch(new HealthCheckRequest()).ResponseStream.MoveNext());

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task HttpInvoke_AllowedVerb_ReachesTheAppWithItsToken()
    {
        using var ledger = DaprClient.CreateInvokeHttpClient("ledger", $"http://127.0.0.1:{mesh.Billing.HttpPort}", mesh.Billing.ApiToken);

        var body = await ledger.GetStringAsync("/records/42");

        Assert.Equal("GET /records/42", body);
        var seen = mesh.LedgerCalls.Last(c => c.Path == "/records/42");
        Assert.Equal((SecureMeshTestbed.AppTokenOf("ledger"), "billing"), (seen.Token, seen.Caller));
    }

    [Fact]
    public async Task HttpInvoke_VerbNotAllowed_Is403WithDaprsBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{mesh.Billing.HttpPort}/v1.0/invoke/ledger/method/records/42");
        request.Headers.Add("dapr-api-token", mesh.Billing.ApiToken);

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("ERR_DIRECT_INVOKE", (string?)body!["errorCode"]);
        Assert.Equal(
            "failed to invoke, id: ledger, err: rpc error: code = PermissionDenied desc = access control policy has denied access to id: spiffe://public/ns/default/billing operation: records/42 verb: POST",
            (string?)body["message"]);
        Assert.DoesNotContain(mesh.LedgerCalls, c => c.Method == "POST" && c.Path == "/records/42");
    }

    [Fact]
    public async Task InvokeService_PathTraversal_IsCheckedAsTheNormalizedMethod()
    {
        var client = mesh.ClientFor(mesh.Billing);

#pragma warning disable CS0618 // InvokeService is deprecated in favour of proxying, but apps still call it.
        var error = Assert.IsType<RpcException>((await Assert.ThrowsAsync<InvocationException>(() => client.InvokeMethodGrpcAsync<StringValue, StringValue>("ledger", "records/../admin", new StringValue { Value = "x" }))).InnerException);
#pragma warning restore CS0618

        Assert.EndsWith("operation: admin verb: NONE", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeService_Denied_IsInternalWrappingThePermissionDenied()
    {
        var client = mesh.ClientFor(mesh.Intruder);

#pragma warning disable CS0618 // InvokeService is deprecated in favour of proxying, but apps still call it.
        var error = Assert.IsType<RpcException>((await Assert.ThrowsAsync<InvocationException>(() => client.InvokeMethodGrpcAsync<StringValue, StringValue>("ledger", "records/1", new StringValue { Value = "x" }))).InnerException);
#pragma warning restore CS0618

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal("failed to invoke, id: ledger, err: rpc error: code = PermissionDenied desc = access control policy has denied access to id: spiffe://public/ns/default/intruder operation: records/1 verb: NONE", error.Status.Detail);
    }

    [Fact]
    public async Task Delivery_AndSubscriptionDiscovery_CarryTheAppsToken()
    {
        await mesh.ClientFor(mesh.Billing).PublishEventAsync("pubsub", "notes", new { text = "hello" });

        var delivered = await WaitAsync(() => mesh.LedgerCalls.FirstOrDefault(c => c.Path == "/notes"));
        var discovery = mesh.LedgerCalls.First(c => c.Path == "/dapr/subscribe");
        Assert.Equal((SecureMeshTestbed.AppTokenOf("ledger"), SecureMeshTestbed.AppTokenOf("ledger")), (delivered.Token, discovery.Token));
    }

    private static Google.Rpc.ErrorInfo ErrorInfoOf(RpcException error)
    {
        var status = Google.Rpc.Status.Parser.ParseFrom(error.Trailers.GetValueBytes("grpc-status-details-bin"));
        return Assert.Single(status.Details).Unpack<Google.Rpc.ErrorInfo>();
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

        throw new TimeoutException("the app did not receive what was expected");
    }
}
