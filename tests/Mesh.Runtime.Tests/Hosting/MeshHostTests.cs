using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Mesh.Runtime.Components;
using Mesh.Runtime.Hosting;

namespace Mesh.Runtime.Tests.Hosting;

/// <summary>The one way a mesh is hosted, with real sidecars on loopback ports over an in-memory state store.</summary>
public sealed class MeshHostTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly ComponentDefinition[] Store =
        [new ComponentDefinition("store", "state.in-memory", "v1", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["keyPrefix"] = "none" }, [], "store.yaml")];

    [Fact]
    public async Task StartAsync_TwoApps_EachGetsASidecarAndTheyShareTheComponentAndTheDirectory()
    {
        await using var host = await MeshHost.StartAsync([MeshApp.Create("orders", 0, "http", Store), MeshApp.Create("billing", LoopbackPorts.Free(), "grpc", Store)]);
        using var http = new HttpClient();

        var saved = await http.PostAsJsonAsync($"http://127.0.0.1:{host.SidecarOf("orders").HttpPort}/v1.0/state/store", new[] { new { key = "k", value = "shared" } });
        var read = await http.GetStringAsync($"http://127.0.0.1:{host.SidecarOf("billing").HttpPort}/v1.0/state/store/k");

        Assert.True(saved.IsSuccessStatusCode);
        Assert.Equal("\"shared\"", read);
        Assert.Equal(["orders", "billing"], host.Apps.Select(app => app.AppId));
        Assert.Equal("grpc", host.Directory.Find("billing")!.Protocol);
    }

    [Fact]
    public async Task EnvironmentFor_App_GivesItsSidecarAsTheDaprCliDoes()
    {
        var port = LoopbackPorts.Free();
        await using var host = await MeshHost.StartAsync([MeshApp.Create("orders", port, "http", Store)]);
        var sidecar = host.SidecarOf("orders");

        var environment = host.EnvironmentFor("orders");

        Assert.Equal("orders", environment["APP_ID"]);
        Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), environment["APP_PORT"]);
        Assert.Equal($"http://127.0.0.1:{sidecar.GrpcPort}", environment["DAPR_GRPC_ENDPOINT"]);
        Assert.Equal($"http://127.0.0.1:{sidecar.HttpPort}", environment["DAPR_HTTP_ENDPOINT"]);
    }

    [Fact]
    public async Task StartAsync_SidecarPortOfTheRunFileTaken_NamesTheAppAndThePort()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var app = MeshApp.Create("orders", 0, "http", Store);
        app = app with { Spec = app.Spec with { DaprHttpPort = taken, DaprGrpcPort = LoopbackPorts.Free() } };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => MeshHost.StartAsync([app]));

        Assert.StartsWith("the sidecar of app 'orders' cannot start: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{taken}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAsync_SameAppId_ReplacesItsSidecarAndDirectoryEntry()
    {
        await using var host = await MeshHost.StartAsync([MeshApp.Create("orders", LoopbackPorts.Free(), "http", Store)]);
        var before = host.SidecarOf("orders");
        var moved = LoopbackPorts.Free();

        var after = await host.AddAsync(MeshApp.Create("orders", moved, "http", Store));

        Assert.NotSame(before, after);
        Assert.Same(after, host.SidecarOf("orders"));
        Assert.Equal(moved, host.Directory.Find("orders")!.Port);
        Assert.Single(host.Apps);
        Assert.False(await TcpProbe.ConnectsAsync("127.0.0.1", before.HttpPort, TimeSpan.FromSeconds(1), CancellationToken.None));
    }

    [Fact]
    public async Task DisposeAsync_OwnedApps_StopBeforeTheSidecarsNewestFirst()
    {
        var host = await MeshHost.StartAsync([MeshApp.Create("orders", 0, "http", Store)]);
        var sidecarPort = host.SidecarOf("orders").HttpPort;
        var stopped = new List<(string App, bool SidecarUp)>();
        host.Own(new Probe(async () => stopped.Add(("first", await TcpProbe.ConnectsAsync("127.0.0.1", sidecarPort, Patience, CancellationToken.None)))));
        host.Own(new Probe(async () => stopped.Add(("second", await TcpProbe.ConnectsAsync("127.0.0.1", sidecarPort, Patience, CancellationToken.None)))));

        await host.DisposeAsync();

        Assert.Equal([("second", true), ("first", true)], stopped);
        Assert.False(await TcpProbe.ConnectsAsync("127.0.0.1", sidecarPort, TimeSpan.FromSeconds(1), CancellationToken.None));
    }

    [Fact]
    public async Task StartDeliveriesWhenReadyAsync_AppNeverAnswers_FalseAfterTheTimeout()
    {
        await using var host = await MeshHost.StartAsync([MeshApp.Create("orders", LoopbackPorts.Free(), "http", Store)]);

        var ready = await host.StartDeliveriesWhenReadyAsync("orders", TimeSpan.FromMilliseconds(500)).WaitAsync(Patience);

        Assert.False(ready);
    }

    private sealed class Probe(Func<Task> onDispose) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await onDispose();
    }
}
