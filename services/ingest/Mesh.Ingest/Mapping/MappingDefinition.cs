namespace Mesh.Ingest.Mapping;

/// <summary>One line of a mapping: a canonical field, the type the mapping expects it to have, and where its value comes from.</summary>
/// <param name="Target">The canonical field path, e.g. "patient.mrn" or "supplier_part_numbers[].part_number".</param>
/// <param name="Type">The type the mapping expects: a scalar ("string", "bool", "int64"), a message or an enum full name.</param>
/// <param name="From">Source expressions, the first with a value wins: HL7 paths, FHIRPath, or CSV columns.</param>
/// <param name="Value">A constant used when no expression has a value.</param>
/// <param name="Lookup">A master data lookup: item, location, cost-center, supplier.</param>
/// <param name="Convert">A conversion: hl7-timestamp, fhir-datetime, quantity, money, bool, int64, enum.</param>
/// <param name="Unit">For quantity: the unit, or "item" for the looked-up item's stocking unit.</param>
/// <param name="Currency">For money: a source expression giving the currency.</param>
/// <param name="CodeSystem">For the item lookup: a source expression giving the code's system (GTIN codes are looked up as GTINs).</param>
/// <param name="Required">Whether a message without a value cannot be mapped.</param>
/// <param name="EncounterField">A field of the ADT encounter context that supplies the value when the message has none.</param>
/// <param name="Values">A table from source values to canonical ones (e.g. ADT trigger "A03" to FINISHED); others are refused.</param>
/// <param name="Line">The line of the mapping file, for error messages and the contract check.</param>
public sealed record MappingField(
    string Target, string Type, IReadOnlyList<string> From, string? Value, string? Lookup, string? Convert, string? Unit, string? Currency,
    string? CodeSystem, bool Required, string? EncounterField, IReadOnlyDictionary<string, string>? Values, int Line)
{
    /// <summary>Where a value of this field is read, for error messages: its first source expression.</summary>
    public string Location => From.Count > 0 ? From[0] : Target;
}

/// <summary>
/// A versioned mapping file: which inbound messages it reads (format, message types, versions), the canonical
/// contract it produces (subject, version, message) and its fields.
/// </summary>
public sealed record MappingDefinition(
    string Id,
    int Version,
    string File,
    string Format,
    IReadOnlyList<string> MessageTypes,
    IReadOnlyList<string> SourceVersions,
    string? Each,
    string? Encounter,
    string? Department,
    string Subject,
    int SubjectVersion,
    string Message,
    int MessageLine,
    IReadOnlyList<MappingField> Fields)
{
    /// <summary>"id@version", how routes and exceptions name it.</summary>
    public string Key => $"{Id}@{Version}";
}

/// <summary>A mapping or routing file that breaks a rule, reported as file:line:column.</summary>
public sealed class MappingFileException(string file, int line, int column, string message)
    : Exception($"{file}:{line}:{column}: {message}")
{
    /// <summary>The file.</summary>
    public string File => file;

    /// <summary>The line, from 1.</summary>
    public int Line => line;
}
