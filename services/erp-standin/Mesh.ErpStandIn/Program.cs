var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddErpStandIn();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapErpApi();
app.MapChaosApi();

app.Run();

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
