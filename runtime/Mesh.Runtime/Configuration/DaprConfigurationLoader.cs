using YamlDotNet.RepresentationModel;

namespace Mesh.Runtime.Configuration;

/// <summary>
/// Reads a Dapr <c>Configuration</c> resource (the file an app's <c>configFilePath</c> names), with the field names
/// of dapr/dapr <c>pkg/config/configuration.go</c>. Each spec section Mesh honours has a reader in
/// <see cref="Sections"/>; every other section of Dapr's Configuration is refused with file:line:column and the
/// feature it configures, so a setting is never accepted and then ignored. A section becomes supported by adding
/// its reader (and removing it from <see cref="Unsupported"/>).
/// </summary>
public static class DaprConfigurationLoader
{
    private static readonly string[] TopFields = ["apiVersion", "kind", "metadata", "spec"];

    // What each section of Dapr's Configuration spec does, for the refusal of those Mesh does not implement.
    private static readonly Dictionary<string, string> Unsupported = new(StringComparer.Ordinal)
    {
        ["tracing"] = "distributed tracing (tracing)",
        ["metric"] = "metrics (metric)",
        ["metrics"] = "metrics (metrics)",
        ["httpPipeline"] = "HTTP middleware pipelines (httpPipeline)",
        ["appHttpPipeline"] = "app HTTP middleware pipelines (appHttpPipeline)",
        ["mtls"] = "mTLS between sidecars (mtls)",
        ["nameResolution"] = "name resolution (nameResolution)",
        ["features"] = "preview features (features)",
        ["api"] = "API allow and deny lists (api)",
        ["components"] = "component type deny lists (components)",
        ["logging"] = "API logging (logging)",
        ["wasm"] = "WebAssembly runtime settings (wasm)",
    };

    /// <summary>The spec sections Mesh honours, each read into the configuration being built.</summary>
    private static readonly Dictionary<string, Func<YamlMap, DaprConfiguration, DaprConfiguration>> Sections = new(StringComparer.Ordinal)
    {
        ["workflow"] = (section, configuration) => configuration with { Workflow = ReadWorkflow(section) },
        ["accessControl"] = (section, configuration) => configuration with { AccessControl = SecuritySections.ReadAccessControl(section) },
        ["secrets"] = (section, configuration) => configuration with { SecretScopes = SecuritySections.ReadSecrets(section) },
    };

    private static readonly string[] WorkflowFields = ["maxConcurrentWorkflowInvocations", "maxConcurrentActivityInvocations", "stateRetentionPolicy"];
    private static readonly string[] UnsupportedWorkflowFields =
        ["workflowConcurrencyLimits", "activityConcurrencyLimits", "globalMaxConcurrentWorkflowInvocations", "globalMaxConcurrentActivityInvocations"];

    private static readonly string[] RetentionFields = ["anyTerminal", "completed", "failed", "terminated"];

    /// <summary>Reads the Configuration at <paramref name="path"/>; null gives Dapr's defaults.</summary>
    /// <exception cref="ConfigurationException">The file is not a Configuration, or sets what Mesh does not support.</exception>
    public static DaprConfiguration Load(string? path)
    {
        if (path is null)
        {
            return DaprConfiguration.Default;
        }

        var file = YamlFile.Load(path, "configuration file");
        if (file.Documents.Count != 1 || file.Documents[0].RootNode is not YamlMappingNode)
        {
            throw new ConfigurationException($"{path}:1:1: a configuration file holds one YAML document, a Dapr Configuration (kind: Configuration)");
        }

        var root = YamlMap.Of(file, file.Documents[0].RootNode, file.Documents[0].RootNode, "");
        root.Check(TopFields);
        if (root.Text("kind") is not "Configuration")
        {
            throw root.Has("kind") ? root.Error("kind", $"'{root.Text("kind")}' is not a Configuration; configFilePath names a Dapr Configuration file") : root.Missing("kind");
        }

        if (root.Text("apiVersion") is not ResourceLoader.ApiVersion)
        {
            throw root.Has("apiVersion") ? root.Error("apiVersion", $"'{root.Text("apiVersion")}' is not supported for kind Configuration; use {ResourceLoader.ApiVersion}") : root.Missing("apiVersion");
        }

        var (name, _) = ResourceLoader.ReadName(root);
        var configuration = DaprConfiguration.Default with { Name = name, SourceFile = file.Path };
        if (root.Map("spec") is not { } spec)
        {
            return configuration;
        }

        spec.Check([.. Sections.Keys], explain: key => Unsupported.TryGetValue(key, out var feature) ? $"{feature} is not supported by mesh; remove the section" : null);
        foreach (var key in spec.Keys)
        {
            if (spec.Map(key) is { } section)
            {
                configuration = Sections[key](section, configuration);
            }
        }

        return configuration;
    }

    private static WorkflowSpec ReadWorkflow(YamlMap workflow)
    {
        workflow.Check(WorkflowFields, explain: key => UnsupportedWorkflowFields.Contains(key) ? "is not supported by mesh (one sidecar per app, no scheduler); remove it" : null);
        var retention = workflow.Map("stateRetentionPolicy");
        retention?.Check(RetentionFields);
        return new WorkflowSpec(
            workflow.Integer("maxConcurrentWorkflowInvocations", 1, int.MaxValue, "a whole number of at least 1"),
            workflow.Integer("maxConcurrentActivityInvocations", 1, int.MaxValue, "a whole number of at least 1"),
            retention is null ? null : new StateRetentionPolicy(
                GoDuration(retention, "anyTerminal"), GoDuration(retention, "completed"), GoDuration(retention, "failed"), GoDuration(retention, "terminated")));
    }

    // Dapr reads these as Go durations: a number needs a unit, except 0.
    private static TimeSpan? GoDuration(YamlMap map, string key) =>
        map.Text(key) is { } text && text != "0" && text.All(char.IsAsciiDigit)
            ? throw map.Error(key, $"'{text}' has no unit; write a Go duration such as 72h, 30m or 0s")
            : map.Duration(key);
}
