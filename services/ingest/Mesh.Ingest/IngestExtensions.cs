using Dapr.Client;
using Mesh.Contracts.Ingest.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Ingest;
using Mesh.Ingest.Csv;
using Mesh.Ingest.Fhir;
using Mesh.Ingest.Grpc;
using Mesh.Ingest.Hl7v2;
using Mesh.Ingest.Intake;
using Mesh.Ingest.Mapping;
using Mesh.Ingest.Mllp;
using Mesh.Ingest.Routing;
using Mesh.Resources;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the ingest app: the inbound adapters (MLLP, FHIR, CSV), the mappings and routes, and the intake they share.</summary>
public static class IngestExtensions
{
    /// <summary>
    /// Loads the routes and mappings ("Ingest:MappingsPath", "Ingest:RoutesFile"; a file that breaks a rule throws
    /// <see cref="MappingFileException"/> naming file:line:column) and registers the intake, the master data
    /// clients (through the sidecar) and the MLLP listener.
    /// </summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Ingest");
        builder.Services.Configure<IngestOptions>(section);
        var settings = section.Get<IngestOptions>() ?? new IngestOptions();
        var folder = Path.IsPathRooted(settings.MappingsPath) ? settings.MappingsPath : Path.Combine(AppContext.BaseDirectory, settings.MappingsPath);
        builder.Services.AddSingleton(RouteTable.Load(folder, Path.IsPathRooted(settings.RoutesFile) ? settings.RoutesFile : Path.Combine(folder, settings.RoutesFile)));

        // The operator API is also HTTP JSON (its google.api.http routes), for consoles and curl.
        builder.Services.AddGrpc().AddJsonTranscoding();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddDaprSidecar();
        var masterData = SidecarInvocation.For(builder.Configuration, settings.MasterDataAppId);
        builder.Services.AddSingleton(new ItemService.ItemServiceClient(masterData));
        builder.Services.AddSingleton(new LocationService.LocationServiceClient(masterData));
        builder.Services.AddSingleton(new SupplierService.SupplierServiceClient(masterData));
        builder.Services.AddSingleton<MasterDataLookup>();
        builder.Services.AddSingleton<MappingEngine>();

        builder.Services.AddSingleton<RawArchive>();
        builder.Services.AddSingleton<IntakeLedger>();
        builder.Services.AddSingleton<EncounterDirectory>();
        builder.Services.AddSingleton<KeyedSequencer>();
        builder.Services.AddSingleton(sp => new ResourceStore<IngestException>(sp.GetRequiredService<DaprClient>(), sp.GetRequiredService<IOptions<IngestOptions>>().Value.StateStore, "ingest-exception"));
        builder.Services.AddSingleton<ExceptionQueue>();
        builder.Services.AddSingleton(sp => new CanonicalPublisher(sp.GetRequiredService<DaprClient>(), sp.GetRequiredService<IOptions<IngestOptions>>().Value.PubSub, "mesh/ingest"));
        builder.Services.AddSingleton<EventDelivery>();
        builder.Services.AddSingleton<IngestPipeline>();

        builder.Services.AddSingleton<Hl7Mapper>();
        builder.Services.AddSingleton<IReplayableFormat>(sp => sp.GetRequiredService<Hl7Mapper>());
        builder.Services.AddSingleton<IMllpHandler, Hl7Intake>();
        builder.Services.AddSingleton<MllpListener>();

        builder.Services.AddSingleton<FhirValidation>();
        builder.Services.AddSingleton<FhirMapper>();
        builder.Services.AddSingleton<IReplayableFormat>(sp => sp.GetRequiredService<FhirMapper>());
        builder.Services.AddSingleton<FhirIntake>();

        builder.Services.AddSingleton<CatalogImport>();
        builder.Services.AddHostedService<CatalogInbox>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MllpListener>());
        return builder;
    }

    /// <summary>
    /// Maps the operator API (gRPC and HTTP JSON), the FHIR R4 endpoints and the catalog upload, and binds the MLLP
    /// port (an <see cref="IngestStartupException"/> when it is taken).
    /// </summary>
    public static WebApplication MapIngestApi(this WebApplication app)
    {
        app.Services.GetRequiredService<MllpListener>().Bind();
        app.MapGrpcService<IngestApi>();
        app.MapFhirApi();
        app.MapCatalogApi();
        return app;
    }
}
