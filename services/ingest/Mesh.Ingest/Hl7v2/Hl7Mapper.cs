using Mesh.Ingest.Intake;
using Mesh.Ingest.Mapping;
using Mesh.Ingest.Routing;

namespace Mesh.Ingest.Hl7v2;

/// <summary>Reads HL7 paths in a message, relative to the segment being mapped (an FT1 line) for paths into that segment.</summary>
public sealed class Hl7SourceReader(Hl7Message message, Hl7Segment current) : ISourceReader
{
    /// <inheritdoc />
    public string? Read(string expression) => message.Value(current, Hl7Path.Parse(expression));
}

/// <summary>
/// Maps HL7 v2 messages by their routes: the message type and sending facility pick the candidate rules; a
/// mapping with <c>each</c> yields one canonical message per segment (each FT1 line), routed by its department;
/// the ADT encounter context of the visit (PV1-19) fills what the message leaves out.
/// </summary>
public sealed class Hl7Mapper(RouteTable routes, MappingEngine engine, EncounterDirectory encounters) : IReplayableFormat
{
    /// <summary>The format name.</summary>
    public const string Name = "hl7v2";

    /// <inheritdoc />
    public string Format => Name;

    /// <summary>The rules for the message, or an empty list when its type is not routed.</summary>
    public IReadOnlyList<IngestRoute> Candidates(Hl7Message message) => routes.Candidates(Name, message.MessageType, message.SendingFacility);

    /// <summary>Maps the message with its candidate rules.</summary>
    public async Task<MapResult> MapAsync(Hl7Message message, IReadOnlyList<IngestRoute> candidates, CancellationToken ct)
    {
        var primary = candidates.FirstOrDefault(r => r.Mapping is not null)?.Mapping;
        var key = primary?.Key ?? candidates.FirstOrDefault()?.Name ?? "";
        if (primary is not null && primary.SourceVersions.Count > 0 && !primary.SourceVersions.Contains(message.Version))
        {
            return MapResult.Failed(new MappingFailure(FailureKind.Malformed, $"MSH-12: mapping {primary.Key} reads HL7 versions {string.Join(", ", primary.SourceVersions)}", "MSH-12"), key);
        }

        List<Hl7Segment> units = primary?.Each is { } each ? [.. message.All(each)] : [message.Header];
        if (units.Count == 0)
        {
            return MapResult.Failed(new MappingFailure(FailureKind.Missing, $"{message.MessageType} has no {primary!.Each} segment: there is nothing to map", primary.Each!), key);
        }

        var mapped = new List<Routed>();
        for (var i = 0; i < units.Count; i++)
        {
            var unit = units[i];
            var department = primary?.Department is { } d ? message.Value(unit, Hl7Path.Parse(d)) : null;
            var route = candidates.FirstOrDefault(r => r.MatchesDepartment(department));
            if (route is null)
            {
                var at = primary!.Department!;
                return MapResult.Failed(new MappingFailure(FailureKind.UnknownCode, $"{Line(units, i)}{at}: no route takes this department", at, department ?? ""), key);
            }

            if (route.Mapping is null)
            {
                continue;
            }

            var visit = route.Mapping.Encounter is { } e ? message.Value(unit, Hl7Path.Parse(e)) : null;
            var context = visit is null ? null : await encounters.GetAsync(message.SendingFacility, visit, ct);
            var (canonical, failure) = await engine.MapAsync(route.Mapping, new Hl7SourceReader(message, unit), context, ct);
            if (failure is not null)
            {
                return MapResult.Failed(failure with { Reason = Line(units, i) + failure.Reason }, route.Mapping.Key);
            }

            mapped.Add(new Routed(canonical!, route.Flow, $"{message.SendingFacility}|{visit ?? message.ControlId}"));
        }

        return new MapResult(mapped, null, key);
    }

    /// <inheritdoc />
    public async Task<(Inbound Inbound, MapResult Result)> RemapAsync(RawMessage raw, string receipt, CancellationToken ct)
    {
        var (message, error) = Hl7Parser.Parse(raw.Content);
        if (message is null)
        {
            // Only parsed messages reach the exception queue, so this means the stored bytes changed.
            throw new InvalidOperationException($"the stored message {receipt} no longer parses: {error!.Reason}");
        }

        var inbound = new Inbound(Name, message.MessageType, message.SendingFacility, message.ControlId, receipt, raw.ReceiveTime);
        var candidates = Candidates(message);
        return (inbound, candidates.Count == 0
            ? MapResult.Failed(new MappingFailure(FailureKind.UnknownCode, $"MSH-9: message type {message.MessageType} is not routed", "MSH-9", message.MessageType), "")
            : await MapAsync(message, candidates, ct));
    }

    // Names the line when a message has several: "FT1 line 2: ".
    private static string Line(List<Hl7Segment> units, int index) => units.Count > 1 || units[index].Id != "MSH" ? $"{units[index].Id} line {index + 1}: " : "";
}
