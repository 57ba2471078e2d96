namespace Mesh.Gateway;

/// <summary>The "Gateway" configuration section.</summary>
public sealed class GatewayOptions
{
    /// <summary>Whom the gateway trusts to issue partner tokens.</summary>
    public AuthenticationOptions Authentication { get; set; } = new();

    /// <summary>The partner clients, by OAuth client id: whom a token's <c>client_id</c> names.</summary>
    public Dictionary<string, ClientOptions> Clients { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The rate limit of a client on each method, unless the client sets its own.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>How much of the audit stream is kept.</summary>
    public AuditOptions Audit { get; set; } = new();

    /// <summary>
    /// The app ids of the services behind the partner surface by service full name (e.g.
    /// "mesh.masterdata.v1.ItemService": "masterdata-eu"), when they differ from the defaults ("masterdata", "charges").
    /// </summary>
    public Dictionary<string, string> AppIds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The largest request message accepted, in bytes; larger ones answer RESOURCE_EXHAUSTED.</summary>
    public int MaxRequestBytes { get; set; } = 64 * 1024;

    /// <summary>Trust in token issuers; the audience is "mesh-gateway" unless set.</summary>
    public sealed class AuthenticationOptions : Mesh.DevTokens.IssuerTrustOptions
    {
        /// <summary>Settings with the gateway's audience.</summary>
        public AuthenticationOptions() => Audience = "mesh-gateway";
    }

    /// <summary>One partner client.</summary>
    public sealed class ClientOptions
    {
        /// <summary>A name for people, e.g. "Acme Surgical Supply".</summary>
        public string DisplayName { get; set; } = "";

        /// <summary>
        /// Who the partner is to the data it may see, by attribute: e.g. "supplier": "suppliers/acme" makes it see
        /// only the items, purchase orders and invoices of that supplier.
        /// </summary>
        public Dictionary<string, string> Attributes { get; set; } = new(StringComparer.Ordinal);

        /// <summary>The client's rate limit on each method; the gateway default when unset.</summary>
        public RateLimitOptions? RateLimit { get; set; }

        /// <summary>Limits for single methods, by full method name ("mesh.masterdata.v1.ItemService.ListItems").</summary>
        public Dictionary<string, RateLimitOptions> MethodRateLimits { get; set; } = new(StringComparer.Ordinal);
    }

    /// <summary>A token bucket: <see cref="Burst"/> calls at once, refilled at <see cref="PermitsPerSecond"/>.</summary>
    public sealed class RateLimitOptions
    {
        /// <summary>Calls per second, on average.</summary>
        public double PermitsPerSecond { get; set; } = 50;

        /// <summary>The bucket's size: how many calls may come at once.</summary>
        public int Burst { get; set; } = 100;
    }

    /// <summary>Audit stream settings.</summary>
    public sealed class AuditOptions
    {
        /// <summary>About how many entries the stream keeps (Redis trims whole nodes, so a few more may remain).</summary>
        public int MaxEntries { get; set; } = 1_000_000;

        /// <summary>How long an entry is kept; older ones are trimmed as new ones arrive.</summary>
        public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);
    }
}
