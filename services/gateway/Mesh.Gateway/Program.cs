try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddServiceDefaults();
    builder.AddGateway();

    var app = builder.Build();
    app.MapGatewayApi();
    app.MapDefaultEndpoints();
    app.Run();
    return 0;
}
catch (Mesh.Gateway.GatewayConfigurationException e)
{
    // An operator's mistake reads best as one line, not a stack trace.
    Console.Error.WriteLine($"mesh-gateway: {e.Message}");
    return 1;
}

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
