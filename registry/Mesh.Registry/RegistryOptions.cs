namespace Mesh.Registry;

/// <summary>The "Registry" configuration section.</summary>
public sealed class RegistryOptions
{
    /// <summary>The largest descriptor set accepted; larger ones fail with RESOURCE_EXHAUSTED.</summary>
    public int MaxDescriptorSetBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Where the buf binary is; found under node_modules or on PATH when empty.</summary>
    public BufOptions Buf { get; set; } = new();

    /// <summary>Who may call the registry.</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>The defaults used until an architect sets the registry config.</summary>
    public DefaultsOptions Defaults { get; set; } = new();

    /// <summary>How much of the audit log is kept.</summary>
    public AuditOptions Audit { get; set; } = new();

    /// <summary>Prefix of every Redis key the registry writes.</summary>
    public string KeyPrefix { get; set; } = "mesh-registry:";

    /// <summary>Audit log settings.</summary>
    public sealed class AuditOptions
    {
        /// <summary>
        /// The most entries the audit stream keeps; each append drops the oldest beyond it (exactly, not Redis's
        /// approximate trim: registry writes are rare, and an operator reading the setting expects the number).
        /// </summary>
        public int MaxEntries { get; set; } = 1_000_000;
    }

    /// <summary>Registry-wide defaults.</summary>
    public sealed class DefaultsOptions
    {
        /// <summary>The compatibility mode.</summary>
        public CompatibilityMode Compatibility { get; set; } = CompatibilityMode.Backward;

        /// <summary>The buf breaking rule category.</summary>
        public RuleCategory RuleCategory { get; set; } = RuleCategory.File;

        /// <summary>Whether buf lint runs on registration.</summary>
        public bool LintEnabled { get; set; } = true;

        /// <summary>The buf lint rules or categories.</summary>
        public List<string> LintUse { get; set; } = ["STANDARD"];

        /// <summary>The buf lint rules left out.</summary>
        public List<string> LintExcept { get; set; } = [];
    }

    /// <summary>Buf settings.</summary>
    public sealed class BufOptions
    {
        /// <summary>An explicit path to the buf binary.</summary>
        public string Path { get; set; } = "";
    }

    /// <summary>Bearer tokens and the roles they carry.</summary>
    public sealed class AuthOptions
    {
        /// <summary>
        /// The tokens of appsettings.Development.json. They are published (in this repository and its README), so
        /// anyone could present them: the registry accepts them only in the Development environment.
        /// </summary>
        public static readonly IReadOnlySet<string> DevelopmentTokens = new HashSet<string>(StringComparer.Ordinal) { "dev-architect-token", "dev-reader-token" };

        /// <summary>The accepted tokens.</summary>
        public List<TokenOptions> Tokens { get; set; } = [];
    }

    /// <summary>One accepted bearer token.</summary>
    public sealed class TokenOptions
    {
        /// <summary>The secret the caller sends as "authorization: Bearer {token}".</summary>
        public string Token { get; set; } = "";

        /// <summary>The name recorded in the audit log.</summary>
        public string Principal { get; set; } = "";

        /// <summary>The roles, e.g. "architect".</summary>
        public List<string> Roles { get; set; } = [];
    }
}
