using System.Globalization;
using CsvHelper;

namespace Mesh.Ingest.Csv;

/// <summary>What happened to one row of a catalog or price file.</summary>
public static class RowStatus
{
    /// <summary>A new item was created.</summary>
    public const string Accepted = "accepted";

    /// <summary>An existing item (found by duplicate detection) was updated.</summary>
    public const string Updated = "updated";

    /// <summary>The matching item already had these values; nothing was written.</summary>
    public const string Unchanged = "unchanged";

    /// <summary>The row was not applied; the reason says why.</summary>
    public const string Rejected = "rejected";
}

/// <summary>One row's result: its record number (the header is record 0), the line it starts on, what happened, the item and why.</summary>
public sealed record RowResult(int Record, int Line, string Status, string Item, string Reason);

/// <summary>The result of a file: a row per record, or one row for the whole file when it could not be read.</summary>
public sealed record ImportResult(string File, string Kind, IReadOnlyList<RowResult> Rows)
{
    /// <summary>Whether the file was refused as a whole (its only row is record 0).</summary>
    public bool FileRefused => Rows is [{ Record: 0 }];

    /// <summary>The result file: record, line, status, item, reason.</summary>
    public string ToCsv()
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, CsvWriterOptions.Default, leaveOpen: true))
        {
            csv.WriteHeader(["record", "line", "status", "item", "reason"]);
            foreach (var row in Rows)
            {
                csv.WriteRecord([row.Record.ToString(CultureInfo.InvariantCulture), row.Line.ToString(CultureInfo.InvariantCulture), row.Status, row.Item, row.Reason]);
            }
        }

        return text.ToString();
    }
}
