var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWorkflows();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapWorkflowsApi();

app.Run();

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
