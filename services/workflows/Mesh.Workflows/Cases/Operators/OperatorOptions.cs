using Mesh.DevTokens;

namespace Mesh.Workflows.Cases.Operators;

/// <summary>
/// "Workflows:Operators": whom the workflows app trusts to issue operator tokens (audience "mesh-workflows" unless set;
/// the dev issuer in Development only), and the topic each operator action is audited on.
/// </summary>
public sealed class OperatorOptions : IssuerTrustOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Workflows:Operators";

    /// <summary>Settings with the workflows app's audience.</summary>
    public OperatorOptions() => Audience = "mesh-workflows";

    /// <summary>The topic of the audit trail (on the flows' pub/sub): one <see cref="OperatorAction"/> per action.</summary>
    public string AuditTopic { get; set; } = "workflows.audit";
}

/// <summary>A setting the workflows app refuses to start with: an operator's mistake, reported as its message alone.</summary>
public sealed class WorkflowsConfigurationException(string message) : Exception(message);
