var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCharges();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapChargesApi();

app.Run();

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
