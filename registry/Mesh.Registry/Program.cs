var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRegistry();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapRegistryApi();

app.Run();

/// <summary>Exposed for WebApplicationFactory-style hosting in tests and benchmarks.</summary>
public partial class Program;
