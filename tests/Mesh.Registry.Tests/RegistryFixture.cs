using Mesh.Testing;

namespace Mesh.Registry.Tests;

/// <summary>One real redis-server and one registry for the whole collection; tests use their own subjects.</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public RedisServer Redis { get; private set; } = null!;

    public RegistryHost Registry { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        Registry = await RegistryHost.StartAsync(Redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Registry.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "registry";
}
