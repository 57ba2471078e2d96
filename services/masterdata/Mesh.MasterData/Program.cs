var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddMasterData();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMasterDataApi();

app.Run();

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
