try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddServiceDefaults();
    builder.AddOperationsConsole();

    var app = builder.Build();
    app.MapDefaultEndpoints();
    app.MapOperationsConsole();
    app.Run();
    return 0;
}
catch (Mesh.Console.ConsoleConfigurationException e)
{
    // An operator's mistake reads best as one line, not a stack trace.
    Console.Error.WriteLine($"mesh-console: {e.Message}");
    return 1;
}

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
