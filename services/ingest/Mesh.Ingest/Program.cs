using Mesh.Ingest.Mapping;
using Mesh.Ingest.Mllp;

// Two tools ride along with the app: the mapping check CI runs, and a sender for trying the MLLP listener.
switch (args)
{
    case ["check-mappings", .. var options]:
        return MappingCheckCommand.Run(options, Console.Out, Console.Error);
    case ["mllp-send", .. var options]:
        return await MllpSendCommand.RunAsync(options, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
try
{
    builder.AddIngest();
}
catch (MappingFileException e)
{
    Console.Error.WriteLine($"ingest: {e.Message}");
    return 1;
}

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapIngestApi();
app.Run();
return Environment.ExitCode;

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
