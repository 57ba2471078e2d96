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
        var down = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, up.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, down.Status);
    }
}
