using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Mesh.Ingest.Fhir;

/// <summary>The FHIR R4 REST endpoints: POST of ChargeItem and SupplyDelivery, and of transaction Bundles at the base URL.</summary>
public static class FhirApi
{
    /// <summary>The FHIR JSON media type.</summary>
    public const string MediaType = "application/fhir+json";

    /// <summary>Maps POST /fhir (transaction Bundles) and POST /fhir/{type}.</summary>
    public static IEndpointRouteBuilder MapFhirApi(this IEndpointRouteBuilder app)
    {
        // A front door: clinical systems post FHIR to ingest's HTTP/1.1 listener directly, not through a Dapr sidecar.
        var fhir = app.MapGroup("/fhir").AllowAnonymous();
        fhir.MapPost("/", (HttpRequest request, FhirIntake intake, Microsoft.Extensions.Options.IOptions<IngestOptions> options, CancellationToken ct) =>
            HandleAsync("Bundle", request, intake, options.Value, ct));
        fhir.MapPost("/{type}", (string type, HttpRequest request, FhirIntake intake, Microsoft.Extensions.Options.IOptions<IngestOptions> options, CancellationToken ct) =>
            HandleAsync(type, request, intake, options.Value, ct));
        return app;
    }

    private static async Task<IResult> HandleAsync(string type, HttpRequest request, FhirIntake intake, IngestOptions options, CancellationToken ct)
    {
        if (ModelInfo.GetTypeForFhirType(type) is not { } clr || !typeof(Resource).IsAssignableFrom(clr))
        {
            return Answer(new FhirAnswer(404, FhirIntake.Outcome(FhirIntake.Issue(OperationOutcome.IssueType.NotSupported, $"{type} is not a FHIR R4 resource type", ""))));
        }

        var body = await ReadAsync(request, options.MaxFhirBodyBytes, ct);
        if (body is null)
        {
            return Answer(new FhirAnswer(413, FhirIntake.Outcome(FhirIntake.Issue(OperationOutcome.IssueType.TooLong, $"the body is over the {options.MaxFhirBodyBytes}-byte limit (Ingest:MaxFhirBodyBytes)", ""))));
        }

        var outcomeOnly = request.Headers["Prefer"].Any(p => p?.Contains("return=OperationOutcome", StringComparison.OrdinalIgnoreCase) == true);
        return Answer(await intake.AcceptAsync(type, body, request.ContentType ?? MediaType, outcomeOnly, ct));
    }

    private static IResult Answer(FhirAnswer answer) => new FhirResult(answer);

    private static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private sealed class FhirResult(FhirAnswer answer) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = answer.Status;
            context.Response.ContentType = MediaType;
            if (answer.Location is { } location)
            {
                context.Response.Headers.Location = $"fhir/{location}";
            }

            if (answer.Status == 503)
            {
                context.Response.Headers.RetryAfter = "5";
            }

            await context.Response.WriteAsync(FhirIntake.Serialize(answer.Body), context.RequestAborted);
        }
    }
}
