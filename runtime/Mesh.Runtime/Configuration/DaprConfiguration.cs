namespace Mesh.Runtime.Configuration;

/// <summary>
/// A Dapr <c>Configuration</c> resource (kind Configuration, dapr.io/v1alpha1) as far as Mesh honours it: the app's
/// <c>configFilePath</c> in dapr.yaml points at it. Sections Mesh does not implement are refused when it is loaded.
/// </summary>
/// <param name="Name">metadata.name; null for the default (no file).</param>
/// <param name="SourceFile">The file it came from; null for the default.</param>
/// <param name="Workflow">spec.workflow.</param>
public sealed record DaprConfiguration(string? Name, string? SourceFile, WorkflowSpec Workflow)
{
    /// <summary>What an app without a configuration file gets: Dapr's defaults.</summary>
    public static DaprConfiguration Default { get; } = new(null, null, WorkflowSpec.Default);

    /// <summary>spec.accessControl: who may invoke this app; null when the file has no such section (everyone may).</summary>
    public AccessControlSpec? AccessControl { get; init; }

    /// <summary>spec.secrets.scopes: which secrets the app may read through the Secrets API, per secret store.</summary>
    public IReadOnlyList<SecretsScope> SecretScopes { get; init; } = [];
}

/// <summary><c>spec.workflow</c>: limits of the sidecar's workflow engine and how long finished instances are kept.</summary>
/// <param name="MaxConcurrentWorkflowInvocations">Workflow turns out with the app at once; null is unlimited.</param>
/// <param name="MaxConcurrentActivityInvocations">Activities out with the app at once; null is unlimited.</param>
/// <param name="StateRetentionPolicy">When finished instances are purged; null keeps them.</param>
public sealed record WorkflowSpec(int? MaxConcurrentWorkflowInvocations, int? MaxConcurrentActivityInvocations, StateRetentionPolicy? StateRetentionPolicy)
{
    /// <summary>No limits, nothing purged.</summary>
    public static WorkflowSpec Default { get; } = new(null, null, null);
}

/// <summary>
/// <c>spec.workflow.stateRetentionPolicy</c>: how long after it finished an instance is purged, per terminal status;
/// a specific status wins over <paramref name="AnyTerminal"/>, and a status with neither is kept.
/// </summary>
/// <param name="AnyTerminal">anyTerminal.</param>
/// <param name="Completed">completed.</param>
/// <param name="Failed">failed.</param>
/// <param name="Terminated">terminated.</param>
public sealed record StateRetentionPolicy(TimeSpan? AnyTerminal, TimeSpan? Completed, TimeSpan? Failed, TimeSpan? Terminated);
