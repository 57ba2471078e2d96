using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Mesh.Ingest.Intake;
using Mesh.Ingest.Mapping;

namespace Mesh.Ingest.Fhir;

/// <summary>The answer to a FHIR request: HTTP status, resource, and the Location header of a create.</summary>
public sealed record FhirAnswer(int Status, Resource Body, string? Location = null);

/// <summary>
/// The FHIR R4 adapter: stores each POSTed body raw, parses and validates it against the base R4 profiles, and
/// maps it. Errors are answered with an OperationOutcome (400 unparseable or of the wrong type, 404 a type no route
/// takes, 422 failing validation or mapping, 503 to resend later); success with 201 (200 for a resend), the
/// resource with the id the intake gave it and the canonical event ids it produced as meta.tag
/// (system <c>urn:mesh:event</c>), or with <c>Prefer: return=OperationOutcome</c> an OperationOutcome listing them.
/// </summary>
public sealed class FhirIntake(RawArchive raw, FhirValidation validation, FhirMapper mapper, IngestPipeline pipeline, TimeProvider clock, ILogger<FhirIntake> logger)
{
    /// <summary>The tag system of the canonical event ids on a created resource.</summary>
    public const string EventTagSystem = "urn:mesh:event";

    /// <summary>Takes in a POSTed body for <paramref name="expectedType"/> ("Bundle" for the base URL).</summary>
    public async Task<FhirAnswer> AcceptAsync(string expectedType, byte[] body, string contentType, bool outcomeOnly, CancellationToken ct)
    {
        try
        {
            return await TakeInAsync(expectedType, body, contentType, outcomeOnly, ct);
        }
        catch (Dapr.DaprException e)
        {
            logger.LogWarning("Could not take in a FHIR {Type}: the sidecar did not answer ({Error})", expectedType, e.GetType().Name);
            return new FhirAnswer(503, Outcome(Issue(OperationOutcome.IssueType.Transient, "the resource could not be stored just now; send it again", "")));
        }
    }

    private async Task<FhirAnswer> TakeInAsync(string expectedType, byte[] body, string contentType, bool outcomeOnly, CancellationToken ct)
    {
        var receipt = await raw.StoreAsync(FhirMapper.Name, $"POST /fhir/{expectedType}", body, contentType, ct);
        var parsed = FhirMapper.Parse(body, contentType);
        if (parsed.Resource is not { } resource)
        {
            logger.LogWarning("Refused FHIR message {Receipt}: {Count} parse problems", receipt, parsed.Problems.Count);
            return new FhirAnswer(400, Outcome([.. parsed.Problems.Select(p => Issue(OperationOutcome.IssueType.Structure, $"the body does not parse as FHIR R4 ({p.Code})", p.Location))]));
        }

        if (resource.TypeName != expectedType)
        {
            return new FhirAnswer(400, Outcome(Issue(OperationOutcome.IssueType.Invalid, $"the body is a {resource.TypeName}, but it was POSTed to the {expectedType} endpoint", resource.TypeName)));
        }

        if (resource is Bundle bundle && bundle.Type != Bundle.BundleType.Transaction)
        {
            return new FhirAnswer(400, Outcome(Issue(OperationOutcome.IssueType.NotSupported, "only Bundles of type transaction are taken at the base URL", "Bundle.type")));
        }

        var mappable = mapper.Mappable(resource);
        if (mappable.Count == 0)
        {
            return new FhirAnswer(404, Outcome(Issue(OperationOutcome.IssueType.NotSupported, $"no route takes {(resource is Bundle ? "any resource of this Bundle" : $"a {resource.TypeName}")}; the routes file lists what is taken", resource.TypeName)));
        }

        var validated = validation.Validate(resource);
        if (FhirValidation.HasErrors(validated))
        {
            logger.LogWarning("Refused FHIR message {Receipt}: it fails validation against the base R4 profiles at {Expressions}", receipt, string.Join(", ", validated.Issue.SelectMany(i => i.Expression)));
            return new FhirAnswer(422, validated);
        }

        var source = resource.Meta?.Source ?? "";
        var inbound = new Inbound(FhirMapper.Name, resource.TypeName, source, FhirMapper.IdentityOf(resource), receipt, clock.GetUtcNow());
        var outcome = await pipeline.AcceptAsync(inbound, token => mapper.MapAsync(resource, source, token), ct);
        return outcome.Result switch
        {
            IntakeResult.Delivered => Created(resource, mappable, outcome, outcomeOnly),
            IntakeResult.Exception => new FhirAnswer(422, Outcome(
                Issue(IssueTypeOf(outcome.Failure!.Kind), outcome.Failure.Reason, outcome.Failure.Location),
                Issue(OperationOutcome.IssueType.Informational, $"the resource is stored as {outcome.Exception}; it is replayed once the mapping or master data is fixed", "", OperationOutcome.IssueSeverity.Information))),
            _ => new FhirAnswer(503, Outcome(Issue(OperationOutcome.IssueType.Transient, outcome.Failure!.Reason, outcome.Failure.Location))),
        };
    }

    private static FhirAnswer Created(Resource resource, IReadOnlyList<(Resource Resource, string Path)> mappable, IntakeOutcome outcome, bool outcomeOnly)
    {
        var status = outcome.Duplicate ? 200 : 201;
        var id = outcome.Receipt;
        if (outcomeOnly)
        {
            return new FhirAnswer(status, Outcome([.. outcome.EventIds.Select(e => Issue(OperationOutcome.IssueType.Informational, $"canonical event {e}", "", OperationOutcome.IssueSeverity.Information))]), $"{resource.TypeName}/{id}");
        }

        if (resource is not Bundle bundle)
        {
            Stamp(resource, id, outcome.EventIds);
            return new FhirAnswer(status, resource, $"{resource.TypeName}/{id}");
        }

        // One event per mapped entry, in entry order; the other entries (patients, encounters) only gave context.
        var response = new Bundle { Type = Bundle.BundleType.TransactionResponse, Id = id };
        var next = 0;
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var entry = bundle.Entry[i].Resource;
            var mapped = mappable.Any(m => ReferenceEquals(m.Resource, entry));
            var ids = mapped && next < outcome.EventIds.Count ? [outcome.EventIds[next++]] : Array.Empty<string>();
            response.Entry.Add(new Bundle.EntryComponent
            {
                Response = new Bundle.ResponseComponent
                {
                    Status = mapped ? (outcome.Duplicate ? "200 OK" : "201 Created") : "200 OK",
                    Location = mapped ? $"{entry!.TypeName}/{id}-{i + 1}" : null,
                    Outcome = mapped
                        ? Outcome([.. ids.Select(e => Issue(OperationOutcome.IssueType.Informational, $"canonical event {e}", "", OperationOutcome.IssueSeverity.Information))])
                        : Outcome(Issue(OperationOutcome.IssueType.Informational, "used as context for references; not stored", "", OperationOutcome.IssueSeverity.Information)),
                },
            });
        }

        return new FhirAnswer(status, response, $"Bundle/{id}");
    }

    private static void Stamp(Resource resource, string id, IEnumerable<string> eventIds)
    {
        resource.Id = id;
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = "1";
        foreach (var e in eventIds)
        {
            resource.Meta.Tag.Add(new Coding(EventTagSystem, e));
        }
    }

    private static OperationOutcome.IssueType IssueTypeOf(FailureKind kind) => kind switch
    {
        FailureKind.Missing => OperationOutcome.IssueType.Required,
        FailureKind.Malformed => OperationOutcome.IssueType.Value,
        FailureKind.UnknownCode => OperationOutcome.IssueType.CodeInvalid,
        _ => OperationOutcome.IssueType.Transient,
    };

    /// <summary>An OperationOutcome of these issues.</summary>
    public static OperationOutcome Outcome(params OperationOutcome.IssueComponent[] issues)
    {
        var outcome = new OperationOutcome();
        outcome.Issue.AddRange(issues);
        return outcome;
    }

    /// <summary>An issue naming where (a FHIRPath) and what, never a value.</summary>
    public static OperationOutcome.IssueComponent Issue(OperationOutcome.IssueType type, string text, string expression, OperationOutcome.IssueSeverity severity = OperationOutcome.IssueSeverity.Error)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = type, Diagnostics = text };
        if (expression.Length > 0)
        {
            issue.Expression = [expression];
        }

        return issue;
    }

    /// <summary>The body of an answer as FHIR JSON.</summary>
    public static string Serialize(Resource resource) => new FhirJsonSerializer().SerializeToString(resource);
}
