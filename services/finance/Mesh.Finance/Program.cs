var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddFinance();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapFinanceApi();

app.Run();

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
