using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Tests.Configuration;

public sealed class DaprConfigurationLoaderTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Load_NoFile_IsDaprsDefaults()
    {
        var configuration = DaprConfigurationLoader.Load(null);

        Assert.Equal(DaprConfiguration.Default, configuration);
        Assert.Equal(new WorkflowSpec(null, null, null), configuration.Workflow);
    }

    [Fact]
    public void Load_WorkflowSection_ReadsLimitsAndRetentionWithDaprsNames()
    {
        var path = folder.Write("config.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Configuration
            metadata:
              name: appconfig
            spec:
              workflow:
                maxConcurrentWorkflowInvocations: 32
                maxConcurrentActivityInvocations: 64
                stateRetentionPolicy:
                  anyTerminal: "360h"
                  completed: "1m"
                  failed: "720h"
                  terminated: 0s
            """);

        var configuration = DaprConfigurationLoader.Load(path);

        Assert.Equal(("appconfig", path), (configuration.Name, configuration.SourceFile));
        Assert.Equal(
            new WorkflowSpec(32, 64, new StateRetentionPolicy(TimeSpan.FromHours(360), TimeSpan.FromMinutes(1), TimeSpan.FromHours(720), TimeSpan.Zero)),
            configuration.Workflow);
    }

    [Fact]
    public void Load_PartialRetention_LeavesTheOthersUnset()
    {
        var path = folder.Write("config.yaml", Configuration("""
              workflow:
                stateRetentionPolicy:
                  completed: 30m
            """));

        var retention = DaprConfigurationLoader.Load(path).Workflow.StateRetentionPolicy;

        Assert.Equal(new StateRetentionPolicy(null, TimeSpan.FromMinutes(30), null, null), retention);
    }

    [Fact]
    public void Load_NoSpec_IsDefaultsWithTheName()
    {
        var path = folder.Write("config.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: bare\n");

        var configuration = DaprConfigurationLoader.Load(path);

        Assert.Equal(("bare", WorkflowSpec.Default), (configuration.Name, configuration.Workflow));
    }

    [Theory]
    [InlineData("tracing", "  tracing:\n    samplingRate: \"1\"\n", "distributed tracing (tracing) is not supported by mesh")]
    [InlineData("api", "  api:\n    allowed: []\n", "API allow and deny lists (api) is not supported by mesh")]
    [InlineData("features", "  features:\n    - name: Resiliency\n      enabled: true\n", "preview features (features) is not supported by mesh")]
    [InlineData("mtls", "  mtls:\n    enabled: true\n", "mTLS between sidecars (mtls) is not supported by mesh")]
    public void Load_UnsupportedSection_IsRefusedAtItsKeyWithTheFeature(string section, string yaml, string message)
    {
        var path = folder.Write("config.yaml", Configuration("  workflow:\n    maxConcurrentWorkflowInvocations: 4\n" + yaml));

        var error = Assert.Throws<ConfigurationException>(() => DaprConfigurationLoader.Load(path));

        Assert.Equal($"{path}:8:3: spec.{section}: {message}; remove the section", error.Message);
    }

    [Fact]
    public void Load_UnknownSection_SuggestsTheNearestField()
    {
        var path = folder.Write("config.yaml", Configuration("  workflows:\n    maxConcurrentWorkflowInvocations: 4\n"));

        var error = Assert.Throws<ConfigurationException>(() => DaprConfigurationLoader.Load(path));

        Assert.Equal($"{path}:6:3: spec.workflows: unknown field (did you mean workflow?)", error.Message);
    }

    [Fact]
    public void Load_SchedulerConcurrencyLimits_AreRefused()
    {
        var path = folder.Write("config.yaml", Configuration("  workflow:\n    workflowConcurrencyLimits:\n      - name: Saga\n        maxConcurrent: 2\n"));

        var error = Assert.Throws<ConfigurationException>(() => DaprConfigurationLoader.Load(path));

        Assert.Equal($"{path}:7:5: spec.workflow.workflowConcurrencyLimits: is not supported by mesh (one sidecar per app, no scheduler); remove it", error.Message);
    }

    [Theory]
    [InlineData("completed: 72", "spec.workflow.stateRetentionPolicy.completed: '72' has no unit; write a Go duration such as 72h, 30m or 0s")]
    [InlineData("failed: soon", "spec.workflow.stateRetentionPolicy.failed: 'soon' is not a duration (e.g. 500ms, 1.5s, 2m, 1h30m; a bare number is milliseconds)")]
    [InlineData("terminated: -1h", "spec.workflow.stateRetentionPolicy.terminated: '-1h' is negative")]
    [InlineData("keep: 1h", "spec.workflow.stateRetentionPolicy.keep: unknown field")]
    public void Load_BadRetention_NamesTheField(string line, string message)
    {
        var path = folder.Write("config.yaml", Configuration($"  workflow:\n    stateRetentionPolicy:\n      {line}\n"));

        var error = Assert.Throws<ConfigurationException>(() => DaprConfigurationLoader.Load(path));

        Assert.Equal($"{path}:8:{(line.StartsWith("keep", StringComparison.Ordinal) ? 7 : 7 + line.IndexOf(' ', StringComparison.Ordinal) + 1)}: {message}", error.Message);
    }

    [Fact]
    public void Load_ZeroConcurrency_IsRefused()
    {
        var path = folder.Write("config.yaml", Configuration("  workflow:\n    maxConcurrentActivityInvocations: 0\n"));

        var error = Assert.Throws<ConfigurationException>(() => DaprConfigurationLoader.Load(path));

        Assert.Equal($"{path}:7:39: spec.workflow.maxConcurrentActivityInvocations: '0' is not a whole number of at least 1", error.Message);
    }

    [Fact]
    public void Load_NotAConfiguration_SaysWhatItIs()
    {
        var path = folder.Write("config.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\n");

        var error = Assert.Throws<ConfigurationException>(() => DaprConfigurationLoader.Load(path));

        Assert.Equal($"{path}:2:7: kind: 'Component' is not a Configuration; configFilePath names a Dapr Configuration file", error.Message);
    }

    [Fact]
    public void Load_MissingFile_NamesTheFile()
    {
        var path = Path.Combine(folder.Path, "nope.yaml");

        var error = Assert.Throws<ConfigurationException>(() => DaprConfigurationLoader.Load(path));

        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunFile_ConfigFilePath_AppWinsOverItsDaprFolderWhichWinsOverCommon()
    {
        folder.Write("common.yaml", Configuration(""));
        folder.Write("orders/own.yaml", Configuration(""));
        folder.Write("billing/.dapr/config.yaml", Configuration(""));
        folder.Folder("stock");
        var path = folder.Write("dapr.yaml", """
            version: 1
            common:
              configFilePath: ./common.yaml
            apps:
              - appDirPath: ./orders
                configFilePath: own.yaml
              - appDirPath: ./billing
              - appDirPath: ./stock
            """);

        var apps = RunFileLoader.Load(path).Apps;

        Assert.Equal(
            [Path.Combine(folder.Path, "orders", "own.yaml"), Path.Combine(folder.Path, "billing", ".dapr", "config.yaml"), Path.Combine(folder.Path, "common.yaml")],
            apps.Select(a => a.ConfigFilePath));
    }

    [Fact]
    public void RunFile_ConfigFilePathMissing_IsRefusedAtTheField()
    {
        folder.Folder("orders");
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./orders\n    configFilePath: ./config.yaml\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:4:21: apps[0].configFilePath: file '{Path.Combine(folder.Path, "orders", "config.yaml")}' does not exist", error.Message);
    }

    private static string Configuration(string spec) => $"""
        apiVersion: dapr.io/v1alpha1
        kind: Configuration
        metadata:
          name: appconfig
        spec:
        {spec}
        """;
}
