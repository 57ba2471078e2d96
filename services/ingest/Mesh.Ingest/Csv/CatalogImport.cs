using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CsvHelper;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Ingest.Intake;
using Mesh.Ingest.Mapping;
using Mesh.Ingest.Routing;

namespace Mesh.Ingest.Csv;

/// <summary>
/// Imports item catalogs and supplier price files (CSV with a header row) into the item master. Each row is mapped
/// by the file kind's mapping, then matched to existing items by master data's duplicate detection: a catalog row
/// updates the one item it matches or creates one (request id derived from the file and row, so sending the file
/// again creates nothing twice); a price row updates the item it matches and never creates one. Rows that match
/// several items, fail mapping or are refused by master data are rejected with the reason; the others go on.
/// </summary>
public sealed class CatalogImport(
    RawArchive raw, RouteTable routes, MappingEngine engine, ItemService.ItemServiceClient items, ILogger<CatalogImport> logger)
{
    /// <summary>Duplicate detection's score for a shared identifier (GTIN, manufacturer or supplier part number).</summary>
    private const int IdentifierMatch = 9000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The file kinds routes can take: "items", "prices".</summary>
    public IEnumerable<string> Kinds => routes.Routes.Where(r => r.Format == "csv").Select(r => r.MessageType);

    /// <summary>Imports <paramref name="content"/> as a file of <paramref name="kind"/>.</summary>
    public async Task<ImportResult> ImportAsync(string kind, string name, byte[] content, CancellationToken ct)
    {
        await raw.StoreAsync("csv", name, content, "text/csv", ct);
        var route = routes.Candidates("csv", kind, "*").FirstOrDefault(r => r.Mapping is not null);
        if (route?.Mapping is not { } mapping)
        {
            return Refused(name, kind, $"no route takes {kind} files; the routes file lists the kinds taken ({string.Join(", ", Kinds)})");
        }

        var badBytes = !IsUtf8(content);
        var malformed = new Dictionary<long, CsvMalformedReason>();
        var options = CsvReaderOptions.Default with
        {
            TrimWhitespace = true,
            TrackLineNumbers = true,
            IncludeValuesInExceptions = false,
            OnMalformedRecord = m => malformed[m.LineNumber] = m.Reason,
        };
        using var csv = CsvReader.Create(content, options);
        csv.ReadHeader();
        var columns = csv.Headers.Select(h => h.Trim().ToLowerInvariant()).ToList();
        if (columns.Count == 0 || columns.All(c => c.Length == 0))
        {
            return Refused(name, kind, "the file is empty; it needs a header row naming its columns");
        }

        var missing = mapping.Fields.Where(f => f.Required).SelectMany(f => f.From.Take(1)).Where(c => !columns.Contains(c.ToLowerInvariant())).Distinct().ToList();
        if (missing.Count > 0)
        {
            return Refused(name, kind, $"missing required column{(missing.Count > 1 ? "s" : "")}: {string.Join(", ", missing)} (mapping {mapping.Key})");
        }

        var fileKey = Convert.ToHexStringLower(SHA256.HashData(content))[..24];
        var results = new List<RowResult>();
        while (await csv.ReadAsync(ct))
        {
            var (record, line) = ((int)csv.RowNumber, (int)csv.LineNumber);
            if (malformed.TryGetValue(line, out var reason))
            {
                results.Add(new RowResult(record, line, RowStatus.Rejected, "", Malformed(reason)));
                continue;
            }

            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < columns.Count && i < csv.FieldCount; i++)
            {
                row.TryAdd(columns[i], csv.GetString(i) ?? "");
            }

            results.Add(await RowAsync(kind, mapping, record, line, row, badBytes, $"csv-{fileKey}-{record}", ct));
        }

        logger.LogInformation("Imported {Kind} file {File}: {Accepted} accepted, {Updated} updated, {Unchanged} unchanged, {Rejected} rejected",
            kind, name, Count(results, RowStatus.Accepted), Count(results, RowStatus.Updated), Count(results, RowStatus.Unchanged), Count(results, RowStatus.Rejected));
        return new ImportResult(name, kind, results);
    }

    private async Task<RowResult> RowAsync(string kind, MappingDefinition mapping, int record, int line, Dictionary<string, string> row, bool badBytes, string requestId, CancellationToken ct)
    {
        RowResult Rejected(string reason, string item = "") => new(record, line, RowStatus.Rejected, item, reason);
        if (row.Values.All(string.IsNullOrWhiteSpace))
        {
            return Rejected("the row is empty");
        }

        if (badBytes && row.FirstOrDefault(c => c.Value.Contains('\uFFFD')) is { Key: { } column })
        {
            return Rejected($"column {column} is not valid UTF-8; save the file as UTF-8");
        }

        var reader = new CsvRowReader(row);
        var (message, failure) = await engine.MapAsync(mapping, reader, null, ct);
        if (failure is not null)
        {
            return Rejected(failure.Reason);
        }

        var candidate = (Item)message!;
        try
        {
            var matches = (await items.FindDuplicateItemsAsync(new FindDuplicateItemsRequest { Item = candidate, MinScoreBasisPoints = IdentifierMatch }, cancellationToken: ct)).Matches;
            if (matches.Count > 1)
            {
                return Rejected($"matches {matches.Count} items ({string.Join(", ", matches.Select(m => m.Item.Name))}) on {string.Join("/", matches.SelectMany(m => m.MatchedFields).Distinct())}; merge the duplicates in master data first");
            }

            if (matches.Count == 0)
            {
                if (kind == "prices")
                {
                    return Rejected("no item in master data has this supplier part number or GTIN; price files update items, catalog files create them");
                }

                var created = await items.CreateItemAsync(new CreateItemRequest { Item = candidate, RequestId = requestId }, cancellationToken: ct);
                return new RowResult(record, line, RowStatus.Accepted, created.Name, "");
            }

            // The fields the row gives a value for; an empty cell leaves the item's value as it is.
            var given = mapping.Fields.Where(f => f.From.Any(c => reader.Read(c) is not null) || f.Value is not null)
                .Select(f => f.Target.Split('.', '[')[0]).Distinct().ToList();
            return await UpdateAsync(kind, matches[0].Item, candidate, given, record, line, ct);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.AlreadyExists or StatusCode.FailedPrecondition or StatusCode.Aborted)
        {
            // Master data's messages name the field and the rule, never the value.
            return Rejected($"master data refused it ({e.StatusCode}): {e.Status.Detail}");
        }
        catch (RpcException e)
        {
            return Rejected($"master data could not be reached ({e.StatusCode}); send the file again");
        }
    }

    // Writes only the fields the row gives, and only when they differ from the item's.
    private async Task<RowResult> UpdateAsync(string kind, Item existing, Item candidate, List<string> given, int record, int line, CancellationToken ct)
    {
        var change = candidate.Clone();
        change.Name = existing.Name;
        change.Etag = existing.Etag;
        if (kind == "prices")
        {
            // The supplier's number replaces the one that supplier had; other suppliers' numbers stay.
            var offered = candidate.SupplierPartNumbers[0];
            change.SupplierPartNumbers.Clear();
            change.SupplierPartNumbers.Add(existing.SupplierPartNumbers.Where(p => p.Supplier != offered.Supplier));
            offered.Preferred = existing.SupplierPartNumbers.FirstOrDefault(p => p.Supplier == offered.Supplier)?.Preferred ?? false;
            change.SupplierPartNumbers.Add(offered);
        }

        var paths = given.Select(Item.Descriptor.FindFieldByName)
            .Where(f => !Equals(f.Accessor.GetValue(change), f.Accessor.GetValue(existing)))
            .Select(f => f.Name)
            .ToList();
        if (paths.Count == 0)
        {
            return new RowResult(record, line, RowStatus.Unchanged, existing.Name, "");
        }

        var updated = await items.UpdateItemAsync(new UpdateItemRequest { Item = change, UpdateMask = new FieldMask { Paths = { paths } } }, cancellationToken: ct);
        return new RowResult(record, line, RowStatus.Updated, updated.Name, $"changed {string.Join(", ", paths)}");
    }

    private static bool IsUtf8(byte[] content)
    {
        try
        {
            StrictUtf8.GetCharCount(content);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static string Malformed(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.StrayQuote => "a quote inside an unquoted field; quote the whole field and double the quotes inside it",
        CsvMalformedReason.TextAfterClosingQuote => "text after the closing quote of a field",
        CsvMalformedReason.UnterminatedQuote => "a quoted field is never closed; the rest of the file was read into it",
        CsvMalformedReason.FieldCountMismatch => "the row has another number of fields than the header",
        _ => $"the row is malformed ({reason})",
    };

    private static ImportResult Refused(string name, string kind, string reason) => new(name, kind, [new RowResult(0, 1, RowStatus.Rejected, "", reason)]);

    private static int Count(List<RowResult> results, string status) => results.Count(r => r.Status == status);
}
