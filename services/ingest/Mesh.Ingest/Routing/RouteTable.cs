using Mesh.Ingest.Mapping;
using YamlDotNet.RepresentationModel;

namespace Mesh.Ingest.Routing;

/// <summary>The flows a route can send a message to.</summary>
public static class Flows
{
    /// <summary>ItemConsumed events on pub/sub, which start the inventory-to-charge saga.</summary>
    public const string InventoryToCharge = "inventory-to-charge";

    /// <summary>The encounter context kept from ADT messages.</summary>
    public const string EncounterContext = "encounter-context";

    /// <summary>Item master upserts (catalog and price files).</summary>
    public const string MasterDataItems = "masterdata-items";

    /// <summary>Acknowledged and recorded, with no effect (e.g. pharmacy lines of a DFT).</summary>
    public const string Ignore = "ignore";

    /// <summary>The canonical message each flow takes.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Messages = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        [InventoryToCharge] = "mesh.inventory.v1.ItemConsumed",
        [EncounterContext] = "mesh.ingest.v1.EncounterContext",
        [MasterDataItems] = "mesh.masterdata.v1.Item",
        [Ignore] = null,
    };
}

/// <summary>A routing rule: which inbound messages (format, type, sending facility, department) go to which mapping and flow.</summary>
/// <param name="Name">The rule's name, for logs and the intake ledger.</param>
/// <param name="Format">hl7v2, fhir or csv.</param>
/// <param name="MessageType">The message type pattern, e.g. "DFT^P03", "ADT^A*", "ChargeItem".</param>
/// <param name="SendingFacility">The sending facility pattern; "*" for any.</param>
/// <param name="Department">The department pattern (FT1-13, a charge's performing organization); "*" for any.</param>
/// <param name="Mapping">The mapping, null for the ignore flow.</param>
/// <param name="Flow">Where the mapped message goes.</param>
/// <param name="Line">The rule's line in the routes file.</param>
public sealed record IngestRoute(string Name, string Format, string MessageType, string SendingFacility, string Department, MappingDefinition? Mapping, string Flow, int Line)
{
    /// <summary>Whether the message-level parts of the rule match.</summary>
    public bool Matches(string format, string messageType, string sendingFacility) =>
        Format == format && Glob(MessageType, messageType) && Glob(SendingFacility, sendingFacility);

    /// <summary>Whether the rule takes messages of this format and type, from some sender.</summary>
    public bool MatchesType(string format, string messageType) => Format == format && Glob(MessageType, messageType);

    /// <summary>Whether the rule's department pattern matches.</summary>
    public bool MatchesDepartment(string? department) => Glob(Department, department ?? "");

    // "*" matches anything, "X*" anything starting with X; otherwise equal, ignoring case.
    private static bool Glob(string pattern, string value) =>
        pattern == "*" || (pattern.EndsWith('*') ? value.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase) : string.Equals(pattern, value, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The routing rules of the routes file, in order: the first rule that matches a message (or an FT1 line, for
/// department rules) decides its mapping and flow. A message no rule matches is an unsupported message type.
/// </summary>
public sealed class RouteTable(IReadOnlyList<IngestRoute> routes, IReadOnlyDictionary<string, MappingDefinition> mappings)
{
    private static readonly string[] RouteKeys = ["name", "format", "messageType", "sendingFacility", "department", "mapping", "flow"];

    /// <summary>The rules in order.</summary>
    public IReadOnlyList<IngestRoute> Routes => routes;

    /// <summary>Every mapping, by "id@version".</summary>
    public IReadOnlyDictionary<string, MappingDefinition> Mappings => mappings;

    /// <summary>The rules whose format, message type and sending facility match (and whose mapping reads that type), in order.</summary>
    public IReadOnlyList<IngestRoute> Candidates(string format, string messageType, string sendingFacility) =>
        [.. routes.Where(r => r.Matches(format, messageType, sendingFacility) && (r.Mapping is null || r.Mapping.MessageTypes.Contains(messageType, StringComparer.OrdinalIgnoreCase)))];

    /// <summary>Loads the routes file and the mappings it refers to; file:line:column errors for anything it does not support.</summary>
    public static RouteTable Load(string mappingsFolder, string routesFile)
    {
        var mappings = MappingLoader.LoadFolder(mappingsFolder, routesFile);
        var root = MappingLoader.Root(File.ReadAllText(routesFile), routesFile);
        MappingLoader.Keys(root, ["routes"], routesFile);
        if (!root.Children.TryGetValue(new YamlScalarNode("routes"), out var list) || list is not YamlSequenceNode rules)
        {
            throw MappingLoader.Error(routesFile, root, "'routes' must be a list of rules");
        }

        var routes = new List<IngestRoute>();
        foreach (var node in rules)
        {
            if (node is not YamlMappingNode rule)
            {
                throw MappingLoader.Error(routesFile, node, "each route must be a mapping of name, format, messageType, ...");
            }

            MappingLoader.Keys(rule, RouteKeys, routesFile);
            var format = MappingLoader.Text(rule, "format", routesFile)!;
            var flow = MappingLoader.Text(rule, "flow", routesFile)!;
            if (!Flows.Messages.TryGetValue(flow, out var flowMessage))
            {
                throw MappingLoader.Error(routesFile, rule.Children[new YamlScalarNode("flow")], $"flow '{flow}' is not one of {string.Join(", ", Flows.Messages.Keys)}");
            }

            var mappingKey = MappingLoader.Text(rule, "mapping", routesFile, required: flowMessage is not null);
            MappingDefinition? mapping = null;
            if (mappingKey is not null)
            {
                var at = rule.Children[new YamlScalarNode("mapping")];
                mapping = mappings.GetValueOrDefault(mappingKey) ?? throw MappingLoader.Error(routesFile, at, $"mapping '{mappingKey}' is not in {mappingsFolder} (name it as id@version)");
                if (mapping.Format != format)
                {
                    throw MappingLoader.Error(routesFile, at, $"mapping {mappingKey} reads {mapping.Format}, the route {format}");
                }

                if (mapping.Message != flowMessage)
                {
                    throw MappingLoader.Error(routesFile, at, $"mapping {mappingKey} produces {mapping.Message}, but flow {flow} takes {flowMessage ?? "nothing"}");
                }
            }

            routes.Add(new IngestRoute(
                MappingLoader.Text(rule, "name", routesFile)!, format, MappingLoader.Text(rule, "messageType", routesFile)!,
                MappingLoader.Text(rule, "sendingFacility", routesFile, required: false) ?? "*", MappingLoader.Text(rule, "department", routesFile, required: false) ?? "*",
                mapping, flow, (int)rule.Start.Line));
        }

        return new RouteTable(routes, mappings);
    }
}
