using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Testing;

/// <summary>Apps for tests and benchmarks on a real Kestrel bound to 127.0.0.1.</summary>
public static class LoopbackApp
{
    /// <summary>
    /// A builder listening on 127.0.0.1:<paramref name="port"/> (0 = the OS picks) with only the configuration
    /// and log providers the caller adds: an app's appsettings.json in the output folder must not decide its ports.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(HttpProtocols protocols, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = protocols));
        return builder;
    }

    /// <summary>The address a started app listens on.</summary>
    public static Uri AddressOf(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
}
