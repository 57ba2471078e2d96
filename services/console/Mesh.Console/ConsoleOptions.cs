namespace Mesh.Console;

/// <summary>The console's settings, section "Console".</summary>
public sealed class ConsoleOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Console";

    /// <summary>
    /// The dev sign-in page: an operator picks a name and scopes and gets a token of the repository's dev issuer.
    /// Anyone can sign in as anyone with it, so it is refused outside Development.
    /// </summary>
    public bool DevSignIn { get; set; }

    /// <summary>
    /// The audience of the operator tokens the dev sign-in mints: the workflows app, which the console passes them to
    /// on replay and dismiss.
    /// </summary>
    public string DevAudience { get; set; } = "mesh-workflows";

    /// <summary>The flows the workflows app runs, as in "flows/{flow}".</summary>
    public List<string> Flows { get; set; } = [];

    /// <summary>The pub/sub component the audit trail is appended to.</summary>
    public string PubSub { get; set; } = "pubsub";

    /// <summary>The registry token the console reads subjects and versions with (reads need no role).</summary>
    public string RegistryToken { get; set; } = "";

    /// <summary>
    /// observability/slo.yaml, the SLOs the flows page shows with their error budget and burn rates (relative to the
    /// app's folder, as <c>mesh run</c> starts it there); empty to show none.
    /// </summary>
    public string SloFile { get; set; } = "";

    /// <summary>The service level objectives every flow is held to.</summary>
    public Flows.SloTargets Slo { get; set; } = new();

    /// <summary>The topic of the audit trail: one entry per operator action (a Redis stream under pubsub.redis).</summary>
    public string AuditTopic { get; set; } = "console.audit";
}
