var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddProcurement();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapProcurementApi();

app.Run();

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
