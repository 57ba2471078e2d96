namespace Mesh.Ingest.Csv;

/// <summary>
/// The upload endpoint of catalog and price files: <c>POST /catalog/{kind}</c> with the CSV as the body answers the
/// row-level result file (text/csv): 200 when the rows were read (each accepted, updated, unchanged or rejected
/// with its reason), 422 when the file as a whole was refused (no header, missing columns, an unknown kind).
/// </summary>
public static class CatalogApi
{
    /// <summary>Maps POST /catalog/{kind}.</summary>
    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        // A front door like FHIR: files are uploaded to ingest's HTTP/1.1 listener directly, not through a Dapr sidecar.
        app.MapPost("/catalog/{kind}", async (string kind, HttpRequest request, CatalogImport import, Microsoft.Extensions.Options.IOptions<IngestOptions> options, CancellationToken ct) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, ct);
            if (body.Length > options.Value.Csv.MaxFileBytes)
            {
                return Results.Text($"the file is over the {options.Value.Csv.MaxFileBytes}-byte limit (Ingest:Csv:MaxFileBytes)", statusCode: 413);
            }

            var name = request.Headers["X-File-Name"].FirstOrDefault() is { Length: > 0 } given ? Path.GetFileName(given) : $"upload-{kind}.csv";
            ImportResult result;
            try
            {
                result = await import.ImportAsync(kind, name, body.ToArray(), ct);
            }
            catch (Dapr.DaprException)
            {
                return Results.Text("the file could not be stored just now; send it again", statusCode: 503);
            }

            return Results.Text(result.ToCsv(), "text/csv", System.Text.Encoding.UTF8, result.FileRefused ? 422 : 200);
        }).AllowAnonymous();
        return app;
    }
}
