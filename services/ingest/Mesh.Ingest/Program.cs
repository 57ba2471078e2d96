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
WebApplication app;
try
{
    builder.AddIngest();
    app = builder.Build();
    app.MapDefaultEndpoints();
    app.MapIngestApi();
}
catch (Exception e) when (e is MappingFileException or IngestStartupException)
{
    // A broken mapping or routes file, or an MLLP port in use: one line, no stack trace.
    Console.Error.WriteLine($"ingest: {e.Message}");
    return 1;
}

app.Run();
return 0;

/// <summary>Exposed for hosting in tests.</summary>
public partial class Program;
