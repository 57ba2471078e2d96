try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddServiceDefaults();
    builder.AddWorkflows();

    var app = builder.Build();
    app.MapDefaultEndpoints();
    app.MapWorkflowsApi();
    app.Run();
    return 0;
}
catch (Mesh.Workflows.Cases.Operators.WorkflowsConfigurationException e)
{
    // An operator's mistake reads best as one line, not a stack trace.
    Console.Error.WriteLine($"mesh-workflows: {e.Message}");
    return 1;
}

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
