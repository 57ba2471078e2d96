using Mesh.Registry.Compatibility;
using Mesh.Registry.Governance;
using Mesh.Registry.Storage;
using Mesh.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Mesh.Registry.Tests.Governance;

/// <summary>The registry's domain classes over a real Redis and the real buf, with a fake clock and no gRPC.</summary>
public sealed class GovernanceFixture : IAsyncLifetime
{
    private ConnectionMultiplexer connection = null!;

    public RedisServer Redis { get; private set; } = null!;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public RedisRegistryStore Store { get; private set; } = null!;

    public SchemaCatalog Catalog { get; private set; } = null!;

    public SubjectSettings Settings { get; private set; } = null!;

    public SchemaRegistrar Registrar { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        connection = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var options = Options.Create(new RegistryOptions());
        var locks = new SubjectLocks();
        Store = new RedisRegistryStore(connection, options);
        Catalog = new SchemaCatalog(Store);
        Settings = new SubjectSettings(Store, locks, options, Clock);
        var checker = new CompatibilityChecker(new BufCli(options, NullLogger<BufCli>.Instance));
        Registrar = new SchemaRegistrar(Store, Catalog, Settings, checker, locks, Clock, NullLogger<SchemaRegistrar>.Instance);
    }

    public async Task DisposeAsync()
    {
        await connection.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
