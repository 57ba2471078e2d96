using System.Net;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Mesh.Testing;
using Microsoft.Extensions.Hosting;

namespace Mesh.ServiceDefaults.Tests;

public sealed class GrpcDefaultsTests : IAsyncLifetime
{
    private WebApplication app = null!;
    private Uri address = null!;

    public async Task InitializeAsync()
    {
        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http2);
        builder.AddServiceDefaults();
        app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        address = LoopbackApp.AddressOf(app);
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task GrpcHealthCheck_OverLoopback_ReportsServing()
    {
        using var channel = GrpcChannel.ForAddress(address);

        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task GrpcReflection_OverLoopback_ListsTheHealthService()
    {
        using var channel = GrpcChannel.ForAddress(address);
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("grpc.health.v1.Health", services);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", services);
    }

    [Theory]
    [InlineData("/alive")]
    [InlineData("/health")]
    public async Task HttpHealthEndpoints_OverLoopback_AnswerHealthy(string path)
    {
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        var body = await http.GetStringAsync(new Uri(address, path));

        Assert.Equal("Healthy", body);
    }
}
