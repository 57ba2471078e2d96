using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Tests.Configuration;

public sealed class RunFileLoaderTests : IDisposable
{
    private readonly TempFolder folder = new();

    public RunFileLoaderTests()
    {
        folder.Folder("orders");
        folder.Folder("billing");
        folder.Folder("components");
    }

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Load_MissingFile_NamesTheFile()
    {
        var path = Path.Combine(folder.Path, "nope.yaml");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}: run file not found", error.Message);
    }

    [Fact]
    public void Load_NotYaml_NamesLineAndColumn()
    {
        var path = folder.Write("dapr.yaml", "version: 1\napps: [\n  - appDirPath: ./orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.StartsWith($"{path}:3:3: not valid YAML: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateKey_IsInvalidYamlAtTheSecondKey()
    {
        var path = folder.Write("dapr.yaml", "version: 1\nversion: 2\napps:\n  - appDirPath: ./orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:2:1: not valid YAML: Duplicate key version", error.Message);
    }

    [Fact]
    public void Load_NotAMapping_SaysWhatItFound()
    {
        var path = folder.Write("dapr.yaml", "- appDirPath: ./orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:1:1: not a run file: expected a mapping with version and apps, found a list", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("apps:\n  - appDirPath: ./orders\n")]
    public void Load_NoVersion_VersionIsRequired(string text)
    {
        var path = folder.Write("dapr.yaml", text);

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.StartsWith($"{path}:1:1: version is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_VersionNotANumber_NamesTheValue()
    {
        var path = folder.Write("dapr.yaml", "version: one\napps:\n  - appDirPath: ./orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:1:10: version: 'one' is not a version number (1)", error.Message);
    }

    [Fact]
    public void Load_PortNotANumber_NamesLineColumnAndFieldPath()
    {
        var path = folder.Write("dapr.yaml", """
            version: 1
            apps:
              - appDirPath: ./orders
              - appDirPath: ./billing
                appPort: abc
            """);

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:5:14: apps[1].appPort: 'abc' is not a port number (1-65535)", error.Message);
    }

    [Fact]
    public void Load_PortOutOfRange_IsRefused()
    {
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./orders\n    daprHTTPPort: 70000\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:4:19: apps[0].daprHTTPPort: '70000' is not a port number (1-65535)", error.Message);
    }

    [Fact]
    public void Load_DuplicateAppId_NamesBothApps()
    {
        var path = folder.Write("dapr.yaml", """
            version: 1
            apps:
              - appID: orders
                appDirPath: ./orders
              - appID: orders
                appDirPath: ./billing
            """);

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:5:12: apps[1].appID: 'orders' is already the appID of apps[0]", error.Message);
    }

    [Fact]
    public void Load_DuplicateDefaultAppId_PointsAtAppDirPathAndSaysToSetAppId()
    {
        folder.Folder("other/orders");
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./orders\n  - appDirPath: ./other/orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal(
            $"{path}:4:17: apps[1].appDirPath: 'orders' is already the appID of apps[0] (the appID defaults to the folder name; set appID)",
            error.Message);
    }

    [Fact]
    public void Load_AppDirPathMissing_NamesTheAbsoluteFolder()
    {
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./missing\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:3:17: apps[0].appDirPath: folder '{folder.Path}/missing' does not exist", error.Message);
    }

    [Fact]
    public void Load_AppWithoutAppDirPath_AppDirPathIsRequired()
    {
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appID: orders\n    appPort: 5000\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:3:5: apps[0].appDirPath is required", error.Message);
    }

    [Theory]
    [InlineData("https")]
    [InlineData("tcp")]
    public void Load_UnsupportedAppProtocol_SaysWhichAreSupported(string protocol)
    {
        var path = folder.Write("dapr.yaml", $"version: 1\napps:\n  - appDirPath: ./orders\n    appProtocol: {protocol}\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:4:18: apps[0].appProtocol: '{protocol}' is not supported; use http, h2c or grpc", error.Message);
    }

    [Fact]
    public void Load_MisspeltField_IsUnknownWithSuggestion()
    {
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./orders\n    appId: orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:4:5: apps[0].appId: unknown field (did you mean appID?)", error.Message);
    }

    [Fact]
    public void Load_UnknownTopLevelField_IsRefused()
    {
        var path = folder.Write("dapr.yaml", "version: 1\nservices: []\napps:\n  - appDirPath: ./orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:2:1: services: unknown field", error.Message);
    }

    [Fact]
    public void Load_AppFieldInCommon_SaysItBelongsToEachApp()
    {
        var path = folder.Write("dapr.yaml", "version: 1\ncommon:\n  appPort: 5000\napps:\n  - appDirPath: ./orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:3:3: common.appPort: appPort belongs to each app (under apps), not to common", error.Message);
    }

    [Fact]
    public void Load_EnvFile_IsRefusedAsUnsupported()
    {
        var path = folder.Write("dapr.yaml", "version: 1\ncommon:\n  envFile: .env\napps:\n  - appDirPath: ./orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:3:3: common.envFile: envFile is not supported by mesh; list the variables under env", error.Message);
    }

    [Fact]
    public void Load_CommandNotAList_ShowsHowToWriteIt()
    {
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./orders\n    command: dotnet run\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:4:14: apps[0].command: expected a list, found 'dotnet run'", error.Message);
    }

    [Fact]
    public void Load_DefaultAppIdWithDot_AsksForAppId()
    {
        folder.Folder("Mesh.Orders");
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./Mesh.Orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal(
            $"{path}:3:17: apps[0].appDirPath: the appID defaults to the folder name 'Mesh.Orders', which has a dot (not allowed in app ids); set appID",
            error.Message);
    }

    [Fact]
    public void Load_SamePortTwice_NamesTheFirstUser()
    {
        var path = folder.Write("dapr.yaml", """
            version: 1
            apps:
              - appDirPath: ./orders
                daprHTTPPort: 3500
              - appDirPath: ./billing
                appPort: 3500
            """);

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:6:14: apps[1].appPort: port 3500 is already used by apps[0].daprHTTPPort", error.Message);
    }

    [Fact]
    public void Load_ResourcesPathMissing_NamesTheListItem()
    {
        var path = folder.Write("dapr.yaml", "version: 1\ncommon:\n  resourcesPaths:\n    - ./components\n    - ./nowhere\napps:\n  - appDirPath: ./orders\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:5:7: common.resourcesPaths[1]: folder '{folder.Path}/nowhere' does not exist", error.Message);
    }

    [Fact]
    public void Load_NoApps_IsRefused()
    {
        var path = folder.Write("dapr.yaml", "version: 1\napps: []\n");

        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(path));

        Assert.Equal($"{path}:2:1: apps: the run file lists no apps", error.Message);
    }

    [Fact]
    public void Load_DocumentedDaprFieldsMeshDoesNotUse_AreAccepted()
    {
        var path = folder.Write("dapr.yaml", """
            version: 1
            name: shop
            common:
              appHealthProbeInterval: 5
              maxBodySize: 8Mi
              daprdLogDestination: console
            apps:
              - appDirPath: ./orders
                metricsPort: 9091
                appHealthProbeTimeout: 500
                containerImage: ghcr.io/example/orders
            """);

        var runFile = RunFileLoader.Load(path);

        Assert.Equal("shop", runFile.Name);
        Assert.Equal("orders", Assert.Single(runFile.Apps).AppId);
    }

    [Fact]
    public void Load_CommonAndApp_AppFieldsAndEnvWin()
    {
        var path = folder.Write("dapr.yaml", """
            version: 1
            common:
              appProtocol: grpc
              logLevel: debug
              enableAppHealthCheck: true
              appHealthCheckPath: ready
              env:
                SHARED: common
                OVERRIDDEN: common
            apps:
              - appDirPath: ./orders
                appProtocol: HTTP
                appPort: 5001
                daprHTTPPort: 3501
                daprGRPCPort: 50002
                appChannelAddress: 127.0.0.2
                command: ["dotnet", "run", "--no-build"]
                env:
                  OVERRIDDEN: app
                  COUNT: 3
                  FLAG: true
              - appDirPath: ./billing
                logLevel: warn
            """);

        var runFile = RunFileLoader.Load(path);

        var orders = runFile.Apps[0];
        var billing = runFile.Apps[1];
        Assert.Equal(path, runFile.Path);
        Assert.Null(runFile.Name);
        Assert.Equal(("orders", Path.Combine(folder.Path, "orders")), (orders.AppId, orders.AppDirPath));
        Assert.Equal(("http", 5001, "127.0.0.2", 3501, 50002), (orders.AppProtocol, orders.AppPort, orders.AppChannelAddress, orders.DaprHttpPort, orders.DaprGrpcPort));
        Assert.Equal(["dotnet", "run", "--no-build"], orders.Command);
        Assert.Equal(("/ready", true, "debug"), (orders.AppHealthCheckPath, orders.EnableAppHealthCheck, orders.LogLevel));
        Assert.Equal(
            new Dictionary<string, string> { ["SHARED"] = "common", ["OVERRIDDEN"] = "app", ["COUNT"] = "3", ["FLAG"] = "true" },
            orders.Env);
        Assert.Equal(("billing", "grpc", 0, "127.0.0.1", "warn"), (billing.AppId, billing.AppProtocol, billing.AppPort, billing.AppChannelAddress, billing.LogLevel));
        Assert.Null(billing.DaprHttpPort);
        Assert.Null(billing.DaprGrpcPort);
        Assert.Empty(billing.Command);
        Assert.Equal(new Dictionary<string, string> { ["SHARED"] = "common", ["OVERRIDDEN"] = "common" }, billing.Env);
    }

    [Fact]
    public void Load_NothingShared_DaprDefaults()
    {
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: orders/\n");

        var app = Assert.Single(RunFileLoader.Load(path).Apps);

        Assert.Equal(("orders", "http", "127.0.0.1", "info", false, null), (app.AppId, app.AppProtocol, app.AppChannelAddress, app.LogLevel, app.EnableAppHealthCheck, app.AppHealthCheckPath));
        Assert.Empty(app.Env);
    }

    [Fact]
    public void Load_RelativePaths_CommonFromRunFileAndAppFromAppDirPath()
    {
        folder.Folder("orders/resources");
        folder.Folder("orders/more");
        folder.Folder("deploy");
        var path = folder.Write("deploy/dapr.yaml", """
            version: 1
            common:
              resourcesPaths: ["../components"]
            apps:
              - appDirPath: ../orders
                resourcesPaths: ["./resources"]
                resourcesPath: more
              - appDirPath: ../billing
            """);

        var runFile = RunFileLoader.Load(path);

        Assert.Equal([Path.Combine(folder.Path, "orders/resources"), Path.Combine(folder.Path, "orders/more")], runFile.Apps[0].ResourcesPaths);
        Assert.Equal([Path.Combine(folder.Path, "components")], runFile.Apps[1].ResourcesPaths);
        Assert.Equal(Path.Combine(folder.Path, "billing"), runFile.Apps[1].AppDirPath);
    }

    [Fact]
    public void Load_AppDaprResourcesFolder_IsUsedInsteadOfCommon()
    {
        folder.Folder("billing/.dapr/resources");
        var path = folder.Write("dapr.yaml", """
            version: 1
            common:
              resourcesPath: ./components
            apps:
              - appDirPath: ./orders
              - appDirPath: ./billing
            """);

        var runFile = RunFileLoader.Load(path);

        Assert.Equal([Path.Combine(folder.Path, "components")], runFile.Apps[0].ResourcesPaths);
        Assert.Equal([Path.Combine(folder.Path, "billing/.dapr/resources")], runFile.Apps[1].ResourcesPaths);
    }

    [Fact]
    public void Load_RepositoryRunFile_RegistryWithRepositoryComponents()
    {
        var root = RepositoryRoot();

        var runFile = RunFileLoader.Load(Path.Combine(root, "dapr.yaml"));

        Assert.Equal(runFile.Apps.Count, runFile.Apps.Select(a => a.AppPort).Distinct().Count());
        Assert.All(runFile.Apps, app => Assert.Equal([Path.Combine(root, "components")], app.ResourcesPaths));
        var registry = Assert.Single(runFile.Apps, a => a.AppId == "registry");
        Assert.Equal(("registry", "grpc", 5100), (registry.AppId, registry.AppProtocol, registry.AppPort));
        Assert.Equal(Path.Combine(root, "registry/Mesh.Registry"), registry.AppDirPath);
        Assert.Equal([Path.Combine(root, "components")], registry.ResourcesPaths);
        Assert.Equal("Development", registry.Env["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal(["dotnet", "run", "--no-launch-profile", "--no-build", "-c", "Release"], registry.Command);
        Assert.Equal(["registry", "erp", "masterdata", "inventory", "charges", "finance", "workflows", "ingest", "gateway", "console", "procurement", "operations"], runFile.Apps.Select(a => a.AppId));
        // The workflows app takes pub/sub, REST and gRPC on one HTTP/2 cleartext port.
        Assert.Equal("h2c", Assert.Single(runFile.Apps, a => a.AppId == "workflows").AppProtocol);
        Assert.All(runFile.Apps, app => Assert.True(Directory.Exists(app.AppDirPath), $"{app.AppId}: {app.AppDirPath} does not exist"));
    }

    /// <summary>The repository's root folder (the one holding Mesh.sln).</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mesh.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Mesh.sln not found above the test binaries");
    }
}
