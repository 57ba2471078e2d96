extern alias registry;

using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.Registry.V1;
using Mesh.Testing;

namespace Mesh.Registry.Tests;

/// <summary>The registry app, hosted through its own Program, on a free loopback port over a given Redis.</summary>
public sealed class RegistryHost : IAsyncDisposable
{
    public const string ArchitectToken = "architect-secret";
    public const string ReaderToken = "reader-secret";

    private readonly InProcessApp<registry::Program> app;
    private readonly GrpcChannel channel;

    private RegistryHost(InProcessApp<registry::Program> app, Uri address)
    {
        this.app = app;
        Address = address;
        channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxSendMessageSize = 64 * 1024 * 1024 });
        Client = new RegistryService.RegistryServiceClient(channel);
    }

    public Uri Address { get; }

    public RegistryService.RegistryServiceClient Client { get; }

    public static Metadata Architect => new() { { "authorization", $"Bearer {ArchitectToken}" } };

    public static Metadata Reader => new() { { "authorization", $"Bearer {ReaderToken}" } };

    /// <summary>Starts the registry; <paramref name="settings"/> add to or override the test settings.</summary>
    public static async Task<RegistryHost> StartAsync(string redis, string keyPrefix = "mesh-registry:", IReadOnlyDictionary<string, string?>? settings = null)
    {
        // Port 0: Kestrel picks one, which nothing else needs to know in advance (no sidecar calls the registry).
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:registry"] = redis,
            ["Registry:KeyPrefix"] = keyPrefix,
            ["Registry:MaxDescriptorSetBytes"] = "1048576",
            ["Registry:Auth:Tokens:0:Token"] = ArchitectToken,
            ["Registry:Auth:Tokens:0:Principal"] = "alice-architect",
            ["Registry:Auth:Tokens:0:Roles:0"] = "architect",
            ["Registry:Auth:Tokens:1:Token"] = ReaderToken,
            ["Registry:Auth:Tokens:1:Principal"] = "ci-reader",
            ["Logging:LogLevel:Default"] = "Warning",
            // Outside Development every app needs its APP_API_TOKEN to start; the registry's API does not ask for it.
            ["APP_API_TOKEN"] = "registry-app-token",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = await InProcessApp<registry::Program>.StartAsync(0, all);
        return new RegistryHost(app, app.Address);
    }

    public async ValueTask DisposeAsync()
    {
        channel.Dispose();
        await app.DisposeAsync();
    }
}
