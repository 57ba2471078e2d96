namespace Mesh.Ingest.Mapping;

/// <summary>Why a message could not be mapped, as HL7 and FHIR answer it.</summary>
public enum FailureKind
{
    /// <summary>A required value is missing (HL7 error 101, FHIR "required").</summary>
    Missing,

    /// <summary>A value is not of its type, e.g. a date or a number (HL7 102, FHIR "value").</summary>
    Malformed,

    /// <summary>A code is not in master data (HL7 103, FHIR "code-invalid"); fixable by adding it, then a replay.</summary>
    UnknownCode,

    /// <summary>Master data could not be asked just now (HL7 207 with AR, FHIR "transient"); the sender should resend.</summary>
    Unavailable,
}

/// <summary>Why a message could not be mapped: the kind, the rule broken (naming the field, never its value) and where.</summary>
/// <param name="Kind">The kind of failure.</param>
/// <param name="Reason">What is wrong.</param>
/// <param name="Location">The source field: an HL7 path, a FHIRPath or a CSV column.</param>
/// <param name="UnresolvedCode">For <see cref="FailureKind.UnknownCode"/>, the master data code that was not found.</param>
public sealed record MappingFailure(FailureKind Kind, string Reason, string Location, string UnresolvedCode = "")
{
    /// <summary>The HL7 table 0357 error code of the failure.</summary>
    public int Hl7ErrorCode => Kind switch
    {
        FailureKind.Missing => 101,
        FailureKind.Malformed => 102,
        FailureKind.UnknownCode => 103,
        _ => 207,
    };
}

/// <summary>Thrown inside the engine to end a mapping with a <see cref="MappingFailure"/>.</summary>
public sealed class MappingFailedException(MappingFailure failure) : Exception(failure.Reason)
{
    /// <summary>The failure.</summary>
    public MappingFailure Failure => failure;
}
