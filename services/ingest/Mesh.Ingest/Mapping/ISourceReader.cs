namespace Mesh.Ingest.Mapping;

/// <summary>Reads source values for a mapping: HL7 paths in a message (relative to the current segment), FHIRPath on a resource, or CSV columns of a row.</summary>
public interface ISourceReader
{
    /// <summary>The first value <paramref name="expression"/> finds, or null when it finds none (or an empty one).</summary>
    string? Read(string expression);
}
