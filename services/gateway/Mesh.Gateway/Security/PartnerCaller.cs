using System.Security.Claims;
using Mesh.Contracts.Options.V1;

namespace Mesh.Gateway.Security;

/// <summary>
/// The authenticated partner of the current call: its client id, its token's scopes, its configured attributes
/// (e.g. its supplier), and what it may not see. The gate sets it; the forwarders read it and note the call's
/// resource names and outcome for the audit log.
/// </summary>
public sealed class PartnerCaller(string clientId, IReadOnlySet<string> scopes, IReadOnlyDictionary<string, string> attributes)
{
    /// <summary>The scope that lets a partner see protected health information.</summary>
    public const string PhiReadScope = "phi.read";

    /// <summary>The scope that lets a partner see personal information that is not health information.</summary>
    public const string PiiReadScope = "pii.read";

    private const int MaxAuditedResources = 50;

    private readonly List<string> resources = [];

    /// <summary>The OAuth client id.</summary>
    public string ClientId { get; } = clientId;

    /// <summary>The scopes the token carries.</summary>
    public IReadOnlySet<string> Scopes { get; } = scopes;

    /// <summary>Who the partner is to the data, by attribute (e.g. "supplier" → "suppliers/acme").</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; } = attributes;

    /// <summary>The classifications cleared from every response to this caller.</summary>
    public IReadOnlySet<DataClassification> Withheld { get; } = WithheldFor(scopes);

    /// <summary>The resource names the call asked for or got, for the audit log (at most 50).</summary>
    public IReadOnlyList<string> Resources => resources;

    /// <summary>The gRPC status the forwarder ended the call with, when it ran.</summary>
    public Grpc.Core.StatusCode? Outcome { get; set; }

    /// <summary>Notes resource names for the audit log.</summary>
    public void NoteResources(IEnumerable<string> names) =>
        resources.AddRange(names.Where(n => n.Length > 0).Take(MaxAuditedResources - resources.Count));

    /// <summary>The caller of the current request.</summary>
    public static PartnerCaller Of(HttpContext http) =>
        http.Features.Get<PartnerCaller>() ?? throw new InvalidOperationException("the partner gate did not admit this call");

    /// <summary>The client id a token names: <c>client_id</c> (RFC 9068), else <c>azp</c>, else <c>sub</c>.</summary>
    public static string? ClientIdOf(ClaimsPrincipal principal) =>
        principal.FindFirst("client_id")?.Value ?? principal.FindFirst("azp")?.Value ?? principal.FindFirst("sub")?.Value;

    /// <summary>The scopes of a token: <c>scope</c> separated by spaces, or <c>scp</c> claims.</summary>
    public static HashSet<string> ScopesOf(ClaimsPrincipal principal) =>
        principal.FindAll(c => c.Type is "scope" or "scp")
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);

    private static HashSet<DataClassification> WithheldFor(IReadOnlySet<string> scopes)
    {
        var withheld = new HashSet<DataClassification>();
        if (!scopes.Contains(PhiReadScope))
        {
            withheld.Add(DataClassification.Phi);
        }

        if (!scopes.Contains(PiiReadScope))
        {
            withheld.Add(DataClassification.Pii);
        }

        return withheld;
    }
}
