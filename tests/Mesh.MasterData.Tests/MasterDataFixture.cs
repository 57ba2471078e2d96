using Dapr.Client;
using Mesh.Contracts.MasterData.V1;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.MasterData.Tests;

/// <summary>
/// Real Redis, the embedded runtime's sidecars for "masterdata" and a caller, and the master data app wired as
/// Program.cs wires it; the tests call it as other services will, by gRPC through the caller's sidecar.
/// </summary>
public sealed class MasterDataFixture : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> owned = [];
    private WebApplication app = null!;

    public ItemService.ItemServiceClient Items { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var redis = await RedisServer.StartAsync();
        owned.Add(redis);
        var statestore = new ComponentDefinition("statestore", "state.redis", "v1",
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["redisHost"] = redis.ConnectionString }, [], "statestore.yaml");
        var store = ComponentFactory.CreateStateStore(statestore);
        owned.Add(store);
        var directory = new AppDirectory();
        var port = RedisServer.FreePort();
        directory.Register(new AppEndpoint("masterdata", "127.0.0.1", port, "grpc"));
        directory.Register(new AppEndpoint("caller", "127.0.0.1", 0, "http"));
        var stores = new Dictionary<string, IStateStore> { ["statestore"] = store };
        var sidecar = await Sidecar("masterdata");
        var caller = await Sidecar("caller");

        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http2, port);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{sidecar.GrpcPort}",
            ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{sidecar.HttpPort}",
        });
        builder.AddServiceDefaults();
        builder.AddMasterData();
        app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapMasterDataApi();
        await app.StartAsync();
        Items = new ItemService.ItemServiceClient(DaprClient.CreateInvocationInvoker("masterdata", $"http://127.0.0.1:{caller.GrpcPort}"));

        async Task<DaprSidecar> Sidecar(string appId)
        {
            var started = await DaprSidecar.StartAsync(
                new SidecarSettings(directory.Find(appId)!, 0, 0, stores, new Dictionary<string, IPubSub>(), [statestore], ResiliencySpec.None, directory),
                NullLoggerFactory.Instance, CancellationToken.None);
            owned.Add(started);
            return started;
        }
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        foreach (var item in Enumerable.Reverse(owned))
        {
            await item.DisposeAsync();
        }
    }
}
