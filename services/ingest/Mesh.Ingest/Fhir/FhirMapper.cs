using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Mesh.Ingest.Intake;
using Mesh.Ingest.Mapping;
using Mesh.Ingest.Routing;

namespace Mesh.Ingest.Fhir;

/// <summary>A FHIR request body parsed: the resource, or why it is not one (each problem's code and where).</summary>
public sealed record FhirParsed(Resource? Resource, IReadOnlyList<(string Code, string Location)> Problems);

/// <summary>
/// Maps FHIR R4 resources (ChargeItem, SupplyDelivery, and those in transaction Bundles) by their routes. Before
/// mapping, references to the patient and encounter that point at resources of the same Bundle (or contained
/// ones) get those resources' identifiers, so mappings read <c>subject.identifier</c> whichever way the sender
/// referenced the patient.
/// </summary>
public sealed class FhirMapper(RouteTable routes, MappingEngine engine) : IReplayableFormat
{
    /// <summary>The format name.</summary>
    public const string Name = "fhir";

    private static readonly FhirJsonDeserializer Json = new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));
    private static readonly FhirXmlDeserializer Xml = new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));

    /// <inheritdoc />
    public string Format => Name;

    /// <summary>Parses a body as JSON, or as XML when <paramref name="contentType"/> says so.</summary>
    public static FhirParsed Parse(byte[] body, string contentType)
    {
        var text = Encoding.UTF8.GetString(body);
        Resource? resource;
        IEnumerable<Hl7.Fhir.Utility.CodedException>? issues;
        try
        {
            var parsed = contentType.Contains("xml", StringComparison.OrdinalIgnoreCase)
                ? Xml.TryDeserializeResource(text, out resource, out issues)
                : Json.TryDeserializeResource(text, out resource, out issues);
            if (parsed && resource is not null)
            {
                return new FhirParsed(resource, []);
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or System.Xml.XmlException or FormatException or InvalidOperationException)
        {
            return new FhirParsed(null, [("structure", "the body is not a FHIR resource in JSON (application/fhir+json) or XML (application/fhir+xml)")]);
        }

        // Names the problem and where it is, never the value found there.
        return new FhirParsed(null, [.. (issues ?? []).Select(i => (i.ErrorCode, LocationOf(i)))]);
    }

    /// <summary>The identity of a resource for the intake ledger: its business identifier, its id, or its content.</summary>
    public static string IdentityOf(Resource resource) =>
        resource switch
        {
            ChargeItem { Identifier.Count: > 0 } c when c.Identifier[0].Value is { Length: > 0 } v => $"{resource.TypeName}|{c.Identifier[0].System}|{v}",
            SupplyDelivery { Identifier.Count: > 0 } s when s.Identifier[0].Value is { Length: > 0 } v => $"{resource.TypeName}|{s.Identifier[0].System}|{v}",
            Bundle { Identifier.Value: { Length: > 0 } v } b => $"Bundle|{b.Identifier.System}|{v}",
            { Id: { Length: > 0 } id } => $"{resource.TypeName}/{id}",
            _ => $"{resource.TypeName}#{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(new FhirJsonSerializer().SerializeToString(resource))))}",
        };

    /// <summary>The resources a request maps: the resource itself, or the routed entries of a transaction Bundle, with their paths.</summary>
    public IReadOnlyList<(Resource Resource, string Path)> Mappable(Resource resource) =>
        resource is Bundle bundle
            ? [.. bundle.Entry.Select((e, i) => (e.Resource, Path: $"Bundle.entry[{i}].resource")).Where(e => e.Resource is not null && IsRouted(e.Resource.TypeName))!]
            : IsRouted(resource.TypeName) ? [(resource, resource.TypeName)] : [];

    /// <summary>Whether any route takes resources of this type, from some source.</summary>
    public bool IsRouted(string type) => routes.Routes.Any(r => r.MatchesType(Name, type));

    /// <summary>Maps the resource (each routed entry of a Bundle, all or nothing).</summary>
    public async Task<MapResult> MapAsync(Resource resource, string source, CancellationToken ct)
    {
        var mapped = new List<Routed>();
        var key = "";
        foreach (var (entry, path) in Mappable(resource))
        {
            Link(entry, resource as Bundle);
            var candidates = routes.Candidates(Name, entry.TypeName, source);
            var primary = candidates.FirstOrDefault(r => r.Mapping is not null)?.Mapping;
            var reader = new FhirSourceReader(entry);
            var department = primary?.Department is { } d ? reader.Read(d) : null;
            var route = candidates.FirstOrDefault(r => r.MatchesDepartment(department));
            key = primary?.Key ?? key;
            if (route is null)
            {
                return MapResult.Failed(new MappingFailure(FailureKind.UnknownCode, $"{path}: no route takes a {entry.TypeName} from this source and department", path, department ?? ""), key);
            }

            if (route.Mapping is null)
            {
                continue;
            }

            var (canonical, failure) = await engine.MapAsync(route.Mapping, reader, null, ct);
            if (failure is not null)
            {
                var at = $"{path}.{failure.Location}";
                return MapResult.Failed(failure with { Location = at, Reason = failure.Reason.Replace(failure.Location, at, StringComparison.Ordinal) }, route.Mapping.Key);
            }

            mapped.Add(new Routed(canonical!, route.Flow, $"{source}|{reader.Read("subject.identifier.value") ?? reader.Read("patient.identifier.value") ?? entry.TypeName}"));
        }

        return new MapResult(mapped, null, key);
    }

    /// <inheritdoc />
    public async Task<(Inbound Inbound, MapResult Result)> RemapAsync(RawMessage raw, string receipt, CancellationToken ct)
    {
        var resource = Parse(raw.Content, raw.ContentType).Resource
            ?? throw new InvalidOperationException($"the stored message {receipt} no longer parses");
        var source = resource.Meta?.Source ?? "";
        return (new Inbound(Name, resource.TypeName, source, IdentityOf(resource), receipt, raw.ReceiveTime), await MapAsync(resource, source, ct));
    }

    // Gives references to the patient and encounter the identifiers of the resources they point at.
    private static void Link(Resource resource, Bundle? bundle)
    {
        var references = resource switch
        {
            ChargeItem c => new[] { c.Subject, c.Context, c.Enterer },
            SupplyDelivery s => [s.Patient, .. s.Extension.Select(e => e.Value).OfType<ResourceReference>()],
            _ => [],
        };
        foreach (var reference in references.Where(r => r is { Identifier: null, Reference.Length: > 0 }))
        {
            var target = Resolve(reference!.Reference!, resource as DomainResource, bundle);
            reference.Identifier = target switch
            {
                Patient p => p.Identifier.FirstOrDefault(i => i.Type?.Coding.Any(c => c.Code == "MR") == true) ?? p.Identifier.FirstOrDefault(),
                Encounter e => e.Identifier.FirstOrDefault(),
                Practitioner p => p.Identifier.FirstOrDefault(),
                _ => null,
            };
        }
    }

    private static Resource? Resolve(string reference, DomainResource? container, Bundle? bundle)
    {
        if (reference.StartsWith('#'))
        {
            return container?.Contained.FirstOrDefault(c => c.Id == reference[1..]);
        }

        return bundle?.Entry.FirstOrDefault(e => e.FullUrl == reference || (e.Resource is { } r && $"{r.TypeName}/{r.Id}" == reference))?.Resource;
    }

    private static string LocationOf(Hl7.Fhir.Utility.CodedException issue) =>
        issue is Hl7.Fhir.Utility.ExtendedCodedException { InstancePath: { Length: > 0 } path } ? path : "";
}
