using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Testing;

/// <summary>An app hosted in the test's process through its own Program.</summary>
public interface IInProcessApp : IAsyncDisposable
{
    /// <summary>The app's services (its meters, options, ...).</summary>
    IServiceProvider Services { get; }

    /// <summary>Where the app listens.</summary>
    Uri Address { get; }
}

/// <summary>
/// An app hosted through its real Program (<see cref="WebApplicationFactory{TEntryPoint}"/>) on a real Kestrel, so a
/// test runs the wiring production runs: its appsettings.json (environment Development, as dapr.yaml sets it), its
/// extension methods, its middleware. Only three things differ, all given as configuration, as <c>mesh run</c> gives
/// them through the environment: <paramref name="settings"/> (the sidecar's endpoints, the app id, test-only options),
/// its Kestrel endpoint moved to 127.0.0.1:<paramref name="port"/> (any other it declares to a port the OS picks), and
/// no log providers. <typeparamref name="TEntryPoint"/>
/// is any public class of the app's assembly (its Program, through an extern alias where several apps meet).
/// </summary>
public sealed class InProcessApp<TEntryPoint>(int port, IReadOnlyDictionary<string, string?> settings, Action<IWebHostBuilder>? configure)
    : WebApplicationFactory<TEntryPoint>, IInProcessApp
    where TEntryPoint : class
{
    /// <inheritdoc />
    /// <remarks>The address on the app's port; on port 0 (the OS picks), the app's only address.</remarks>
    public Uri Address
    {
        get
        {
            var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            return new(port == 0 ? addresses.Single() : addresses.Single(address => new Uri(address).Port == port));
        }
    }

    /// <summary>Builds and starts the app; a port another process took surfaces as an <see cref="IOException"/>.</summary>
    public static async Task<InProcessApp<TEntryPoint>> StartAsync(
        int port, IReadOnlyDictionary<string, string?> settings, Action<IWebHostBuilder>? configure = null)
    {
        var app = new InProcessApp<TEntryPoint>(port, settings, configure);
        app.UseKestrel();
        try
        {
            await Task.Run(app.StartServer);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Host settings reach the app's WebApplication.CreateBuilder as arguments, so Program sees them before it builds.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        // The manifest beside the test assembly, whatever the current directory (benchmarks run from the repository).
        builder.UseContentRoot(ContentRoot());
        // Kestrel reads its endpoints when it starts: the app's own configuration says which to move.
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(KestrelEndpoints.MovedTo(configuration.Build(), port, settings)));
        builder.ConfigureLogging(logging => logging.ClearProviders());
        configure?.Invoke(builder);
    }

    // The app's project folder, as the Mvc.Testing build targets recorded it for the assembly referencing the app.
    private static string ContentRoot()
    {
        var manifest = Path.Combine(AppContext.BaseDirectory, "MvcTestingAppManifest.json");
        var roots = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(manifest))!;
        return roots.TryGetValue(typeof(TEntryPoint).Assembly.GetName().FullName, out var root)
            ? root
            : throw new InvalidOperationException($"{manifest} has no content root for {typeof(TEntryPoint).Assembly.GetName().Name}; reference its project");
    }
}
