using System.Diagnostics;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Mesh.Testing;

namespace Mesh.Registry.Tests;

public sealed class HealthTests
{
    [Fact]
    public async Task GrpcHealth_FollowsRedis()
    {
        var redis = await RedisServer.StartAsync();
        await using var registry = await RegistryHost.StartAsync(redis.ConnectionString);
        using var channel = GrpcChannel.ForAddress(registry.Address);
        var health = new Health.HealthClient(channel);

        var up = await health.CheckAsync(new HealthCheckRequest());
        await redis.DisposeAsync();
        // gRPC health answers from the checks' last published run: Redis's loss shows at the next one.
        var waited = Stopwatch.StartNew();
        HealthCheckResponse down;
        while ((down = await health.CheckAsync(new HealthCheckRequest())).Status != HealthCheckResponse.Types.ServingStatus.NotServing
            && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, up.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, down.Status);
    }
}
