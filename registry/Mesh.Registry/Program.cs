try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddServiceDefaults();
    builder.AddRegistry();

    var app = builder.Build();
    app.MapDefaultEndpoints();
    app.MapRegistryApi();
    app.Run();
    return 0;
}
catch (Mesh.Registry.RegistryConfigurationException e)
{
    // An operator's mistake reads best as one line, not a stack trace.
    Console.Error.WriteLine($"mesh-registry: {e.Message}");
    return 1;
}

/// <summary>Exposed for WebApplicationFactory-style hosting in tests and benchmarks.</summary>
public partial class Program;
