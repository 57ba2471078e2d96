using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Mesh.Ingest.Fhir;

/// <summary>
/// Validates resources against the base FHIR R4 profiles, offline: the profiles come from the R4 specification
/// zip shipped by the Hl7.Fhir.Specification.Data.R4 package (copied beside the app), never from the network.
/// The validator compiles a profile's schema the first time it meets it, so the app warms it up at start.
/// </summary>
public sealed class FhirValidation
{
    private readonly Lazy<Validator> validator = new(() =>
    {
        var source = new CachedResolver(ZipSource.CreateValidationSource(Path.Combine(AppContext.BaseDirectory, "specification.zip")));
        return new Validator(source, LocalTerminologyService.CreateDefaultForCore(source));
    });

    /// <summary>The validator's outcome for <paramref name="resource"/> against its base profile.</summary>
    public OperationOutcome Validate(Resource resource) => validator.Value.Validate(resource);

    /// <summary>Whether the outcome holds an error or a fatal issue.</summary>
    public static bool HasErrors(OperationOutcome outcome) =>
        outcome.Issue.Any(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
}
