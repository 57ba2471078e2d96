using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Mesh.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Mesh.ServiceDefaults.Tests;

/// <summary>The service defaults on a real Kestrel, as an app behind a sidecar with APP_API_TOKEN runs them.</summary>
public sealed class GrpcDefaultsTests : IAsyncLifetime
{
    private const string AppToken = "token-of-this-app";
    private WebApplication app = null!;
    private Uri address = null!;

    public async Task InitializeAsync()
    {
        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http2);
        builder.Configuration.AddInMemoryCollection([new("APP_API_TOKEN", AppToken)]);
        builder.AddServiceDefaults();
        app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        address = LoopbackApp.AddressOf(app);
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task GrpcHealthCheck_WithoutToken_ReportsServingForProbes()
    {
        using var channel = GrpcChannel.ForAddress(address);

        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task GrpcHealthCheck_Probed_RecordsNoRequestMetricWhereOtherCallsDo()
    {
        var routes = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument is { Name: "http.server.request.duration", Meter.Name: "Microsoft.AspNetCore.Hosting" })
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "http.route", Value: string route })
                {
                    routes.Add(route);
                }
            }
        });
        listener.Start();
        using var channel = GrpcChannel.ForAddress(address);

        await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        using (var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(new Metadata { { "dapr-api-token", AppToken } }))
        {
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        }

        // The duration is recorded as the response ends, which the client may see first.
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (!routes.Any(r => r.Contains("ServerReflection", StringComparison.Ordinal)) && patience.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        Assert.Contains(routes, r => r.Contains("ServerReflection", StringComparison.Ordinal));
        Assert.DoesNotContain(routes, r => r.Contains("grpc.health.v1.Health", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GrpcReflection_WithTheAppToken_ListsTheHealthService()
    {
        using var channel = GrpcChannel.ForAddress(address);
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(new Metadata { { "dapr-api-token", AppToken } });

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("grpc.health.v1.Health", services);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", services);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("token-of-another-app")]
    public async Task GrpcCall_WithoutTheAppToken_IsUnauthenticatedNamingTheSidecar(string? token)
    {
        using var channel = GrpcChannel.ForAddress(address);
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(token is null ? [] : new Metadata { { "dapr-api-token", token } });

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("the call did not come through this app's Dapr sidecar: dapr-api-token is missing or wrong", error.Status.Detail);
    }

    [Theory]
    [InlineData("/alive")]
    [InlineData("/health")]
    public async Task HttpHealthEndpoints_WithoutToken_AnswerHealthy(string path)
    {
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        var body = await http.GetStringAsync(new Uri(address, path));

        Assert.Equal("Healthy", body);
    }
}
