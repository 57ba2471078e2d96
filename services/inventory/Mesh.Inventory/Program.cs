var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInventory();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapInventoryApi();

app.Run();

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
