using System.Globalization;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Mesh.Ingest.Mapping;

namespace Mesh.Ingest.Fhir;

/// <summary>Reads FHIRPath expressions on a resource: the first primitive value they select, as text.</summary>
public sealed class FhirSourceReader(Resource resource) : ISourceReader
{
    /// <inheritdoc />
    public string? Read(string expression) =>
        resource.Select(expression).OfType<PrimitiveType>().Select(Text).FirstOrDefault(t => !string.IsNullOrWhiteSpace(t));

    private static string? Text(PrimitiveType value) => value.JsonValue switch
    {
        null => null,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString(),
    };
}
