using Google.Protobuf;
using Google.Protobuf.Reflection;
using Mesh.Contracts.Ingest.V1;
using Mesh.Contracts.MasterData.V1;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Mapping;

/// <summary>
/// Evaluates a mapping file: for each field, in file order, the first source expression with a value (or the ADT
/// encounter context, or the constant), then its lookup or conversion, set on the canonical message by path. The
/// first field that cannot be mapped ends the mapping with a <see cref="MappingFailure"/> naming it.
/// </summary>
public sealed class MappingEngine(MasterDataLookup masterData, IOptions<IngestOptions> options)
{
    private readonly TimeZoneInfo zone = options.Value.LocalTimeZone.Length == 0 ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(options.Value.LocalTimeZone);

    /// <summary>Maps one source (an HL7 message at one segment, a FHIR resource, a CSV row) with <paramref name="mapping"/>.</summary>
    public async Task<(IMessage? Message, MappingFailure? Failure)> MapAsync(
        MappingDefinition mapping, ISourceReader source, EncounterContext? encounter, CancellationToken ct)
    {
        var descriptor = CanonicalFields.CompiledMessage(mapping.Message)
            ?? throw new InvalidOperationException($"{mapping.File}: {mapping.Message} is not a compiled contract; run the mapping check");
        var message = CanonicalFields.New(descriptor);
        var resolved = new Resolved();
        try
        {
            foreach (var field in mapping.Fields)
            {
                var (leaf, element, _) = CanonicalFields.Resolve(descriptor, field.Target);
                var raw = field.From.Select(source.Read).FirstOrDefault(v => v is not null)
                    ?? (field.EncounterField is { } path && encounter is not null ? CanonicalFields.Read(encounter, path) : null)
                    ?? field.Value;
                if (raw is null)
                {
                    if (field.Required)
                    {
                        throw new MappingFailedException(new MappingFailure(FailureKind.Missing, $"{field.Location}: {field.Target} is required, and the message has no value there", field.Location));
                    }

                    continue;
                }

                CanonicalFields.Set(message, field.Target, await ValueAsync(field, leaf!, element, raw, source, resolved, ct));
            }
        }
        catch (MappingFailedException e)
        {
            return (null, e.Failure);
        }

        return (message, null);
    }

    private async Task<object> ValueAsync(MappingField field, FieldDescriptor leaf, bool element, string raw, ISourceReader source, Resolved resolved, CancellationToken ct)
    {
        var location = field.Location;
        if (field.Values is { } table)
        {
            raw = table.GetValueOrDefault(raw.Trim())
                ?? throw new MappingFailedException(new MappingFailure(FailureKind.Malformed, $"{location} must be one of {string.Join(", ", table.Keys)} for {field.Target}", location));
        }

        switch (field.Lookup)
        {
            case "item":
                resolved.Item = await masterData.ItemAsync(raw.Trim(), field.CodeSystem is { } system ? source.Read(system) : null, location, ct);
                return resolved.Item.Name;
            case "location":
                resolved.Location = await masterData.LocationAsync(raw.Trim(), location, ct);
                return resolved.Location.Name;
            case "cost-center":
                var place = resolved.Location ?? await masterData.LocationAsync(raw.Trim(), location, ct);
                return place.CostCenter.Length > 0
                    ? place.CostCenter
                    : throw new MappingFailedException(new MappingFailure(FailureKind.UnknownCode, $"{location}: the location of this department has no cost center in master data", location, raw.Trim()));
            case "supplier":
                return (await masterData.SupplierAsync(raw.Trim(), location, ct)).Name;
        }

        return field.Convert switch
        {
            "hl7-timestamp" => Conversions.Hl7Timestamp(raw, zone, location),
            "fhir-datetime" => Conversions.FhirDateTime(raw, zone, location),
            "quantity" => Conversions.Quantity(raw, Unit(field, resolved, location), location),
            "money" => Conversions.Money(raw, field.Currency is { } currency ? source.Read(currency) ?? "" : "", location),
            "bool" => Conversions.Bool(raw, location),
            "int64" => Conversions.Int64(raw, location),
            "enum" => Conversions.Enum(leaf.EnumType, raw, location),
            _ => leaf.FieldType == FieldType.String || element ? raw : throw new InvalidOperationException($"{field.Target} needs a conversion; the mapping check refuses this"),
        };
    }

    // "item" takes the stocking unit of the item this mapping looked up before; anything else is the unit itself.
    private static string Unit(MappingField field, Resolved resolved, string location) => field.Unit switch
    {
        "item" => resolved.Item?.StockingUnit ?? throw new MappingFailedException(new MappingFailure(FailureKind.Missing, $"{location}: the quantity's unit comes from the item, which was not resolved", location)),
        { Length: > 0 } unit => unit,
        _ => throw new MappingFailedException(new MappingFailure(FailureKind.Missing, $"{location}: the quantity has no unit", location)),
    };

    private sealed class Resolved
    {
        public Item? Item { get; set; }

        public Location? Location { get; set; }
    }
}
