using Mesh.Ingest.Mapping;

namespace Mesh.Ingest.Csv;

/// <summary>Reads the columns of one CSV row by header name (case and surrounding spaces ignored).</summary>
public sealed class CsvRowReader(IReadOnlyDictionary<string, string> row) : ISourceReader
{
    /// <inheritdoc />
    public string? Read(string expression) =>
        row.TryGetValue(expression.Trim().ToLowerInvariant(), out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
