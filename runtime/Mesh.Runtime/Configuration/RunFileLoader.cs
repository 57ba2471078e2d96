namespace Mesh.Runtime.Configuration;

/// <summary>
/// Reads a Dapr multi-app run file (dapr.yaml) the way the Dapr CLI does (dapr/cli pkg/runfileconfig):
/// <c>common</c> merged into each app (app fields win, app env wins), paths in <c>common</c> relative to
/// the run file and paths in an app relative to its appDirPath. Unlike the Dapr CLI, unknown fields are
/// errors, so a misspelt field does not silently fall back to a default.
/// </summary>
public static class RunFileLoader
{
    private const string EnvFileUnsupported = "envFile is not supported by mesh; list the variables under env";

    private static readonly string[] TopFields = ["version", "name", "common", "apps"];

    private static readonly string[] SharedFields =
        ["appProtocol", "appHealthCheckPath", "enableAppHealthCheck", "logLevel", "env", "resourcesPath", "resourcesPaths", "configFilePath"];

    private static readonly string[] AppOnlyFields =
        ["appID", "appDirPath", "appPort", "appChannelAddress", "daprHTTPPort", "daprGRPCPort", "command"];

    private static readonly string[] AppFields = [.. SharedFields, .. AppOnlyFields];

    // Documented Dapr fields that tune daprd itself (limits, profiling, placement, scheduler, log files,
    // Kubernetes containers); mesh accepts them so a Dapr run file works unchanged, and does not use them.
    private static readonly string[] IgnoredSharedFields =
    [
        "apiListenAddresses", "enableProfiling", "appMaxConcurrency", "placementHostAddress", "appSSL",
        "maxBodySize", "readBufferSize", "appHealthProbeInterval", "appHealthProbeTimeout", "appHealthThreshold",
        "enableApiLogging", "runtimePath", "daprdLogDestination", "appLogDestination", "schedulerHostAddress",
    ];

    private static readonly string[] IgnoredAppFields =
    [
        .. IgnoredSharedFields, "profilePort", "metricsPort", "unixDomainSocket", "daprInternalGRPCPort",
        "containerImage", "containerImagePullPolicy", "createService",
    ];

    private static readonly string[] LogLevels = ["debug", "info", "warn", "error", "fatal"];

    /// <summary>Reads and validates the run file; every problem is a <see cref="ConfigurationException"/> naming file:line:column and field.</summary>
    /// <param name="path">The run file, absolute or relative to the current directory.</param>
    /// <returns>The apps with <c>common</c> merged in and every path absolute.</returns>
    public static RunFile Load(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var file = YamlFile.Load(fullPath, "run file");
        if (file.Documents.Count > 1)
        {
            throw file.Error(file.Documents[1].RootNode, "a run file holds one YAML document; remove the second one");
        }

        if (file.Documents.Count == 0 || YamlFile.IsNull(file.Documents[0].RootNode))
        {
            throw new ConfigurationException($"{fullPath}:1:1: version is required (the run file is empty)");
        }

        var rootNode = file.Documents[0].RootNode;
        if (rootNode is not YamlDotNet.RepresentationModel.YamlMappingNode)
        {
            throw file.Error(rootNode, $"not a run file: expected a mapping with version and apps, found {YamlFile.Describe(rootNode)}");
        }

        var root = YamlMap.Of(file, rootNode, rootNode, "");
        root.Check(TopFields);
        _ = root.Integer("version", 1, int.MaxValue, "a version number (1)") ?? throw root.Missing("version");
        var runFileFolder = System.IO.Path.GetDirectoryName(fullPath)!;

        var common = root.Map("common") is { } commonMap
            ? ReadShared(commonMap, runFileFolder, isCommon: true)
            : new Section();

        var items = root.Items("apps") ?? throw root.Missing("apps");
        if (items.Count == 0)
        {
            throw root.Error("apps", "the run file lists no apps");
        }

        var apps = new List<AppSpec>();
        var appIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var ports = new Dictionary<int, string>();
        foreach (var (node, itemPath) in items)
        {
            var map = YamlMap.Of(file, node, node, itemPath);
            var app = ReadApp(map, common);
            var idField = map.Has("appID") ? "appID" : "appDirPath";
            if (appIds.TryGetValue(app.AppId, out var other))
            {
                throw map.Error(idField, $"'{app.AppId}' is already the appID of {other}{(idField == "appDirPath" ? " (the appID defaults to the folder name; set appID)" : "")}");
            }

            appIds[app.AppId] = itemPath;
            ClaimPort(map, "appPort", app.AppPort, ports);
            ClaimPort(map, "daprHTTPPort", app.DaprHttpPort ?? 0, ports);
            ClaimPort(map, "daprGRPCPort", app.DaprGrpcPort ?? 0, ports);
            apps.Add(app);
        }

        return new RunFile(fullPath, root.Text("name"), apps);
    }

    private static AppSpec ReadApp(YamlMap map, Section common)
    {
        map.Check(AppFields, IgnoredAppFields, key => key == "envFile" ? EnvFileUnsupported : null);
        if (map.Text("appDirPath") is not { Length: > 0 } dirText)
        {
            throw map.Missing("appDirPath");
        }

        var runFileFolder = System.IO.Path.GetDirectoryName(map.File.Path)!;
        var appDir = Folder(map.File, map.Value("appDirPath")!, map.FieldPath("appDirPath"), dirText, runFileFolder);
        var own = ReadShared(map, appDir, isCommon: false);

        var appId = map.Text("appID") ?? System.IO.Path.GetFileName(appDir);
        var idField = map.Has("appID") ? "appID" : "appDirPath";
        if (appId.Length == 0 || appId.Any(char.IsWhiteSpace))
        {
            throw map.Error(idField, $"'{appId}' is not an app id (set appID)");
        }

        if (appId.Contains('.', StringComparison.Ordinal))
        {
            // daprd refuses app ids with dots (they are also used in DNS names and state keys).
            throw map.Error(idField, idField == "appID"
                ? $"'{appId}' is not an app id: dots are not allowed"
                : $"the appID defaults to the folder name '{appId}', which has a dot (not allowed in app ids); set appID");
        }

        var env = new Dictionary<string, string>(common.Env, StringComparer.Ordinal);
        foreach (var (name, value) in own.Env)
        {
            env[name] = value;
        }

        return new AppSpec(
            appId,
            appDir,
            Port(map, "appPort") ?? 0,
            own.AppProtocol ?? common.AppProtocol ?? "http",
            map.Text("appChannelAddress") is { Length: > 0 } address ? address : "127.0.0.1",
            Port(map, "daprHTTPPort"),
            Port(map, "daprGRPCPort"),
            map.TextList("command", "command: [\"dotnet\", \"run\"]").Select(t => t.Value).ToList(),
            env,
            ResourceFolders(appDir, own, common),
            own.AppHealthCheckPath ?? common.AppHealthCheckPath,
            own.EnableAppHealthCheck ?? common.EnableAppHealthCheck ?? false,
            own.LogLevel ?? common.LogLevel ?? "info",
            ConfigFile(appDir, own, common));
    }

    // The Dapr CLI's precedence: the app's configFilePath, its .dapr/config.yaml, common's. Dapr's installed default
    // (~/.dapr/config.yaml, written by dapr init for daprd) is not read: without a file an app gets Dapr's defaults.
    private static string? ConfigFile(string appDir, Section own, Section common)
    {
        var local = System.IO.Path.Combine(appDir, ".dapr", "config.yaml");
        return own.ConfigFilePath ?? (File.Exists(local) ? local : null) ?? common.ConfigFilePath;
    }

    // The Dapr CLI's precedence (runfileconfig resolveResourcesFilePath): the first of these that
    // applies is used alone, so an app with its own resourcesPaths does not also load common's.
    private static List<string> ResourceFolders(string appDir, Section own, Section common)
    {
        if (own.ResourcesPaths.Count > 0)
        {
            return own.ResourcesPaths;
        }

        var local = System.IO.Path.Combine(appDir, ".dapr", "resources");
        if (Directory.Exists(local))
        {
            return [local];
        }

        if (common.ResourcesPaths.Count > 0)
        {
            return common.ResourcesPaths;
        }

        // Dapr's default components folder, which `dapr init` fills.
        var daprDefault = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dapr", "components");
        return Directory.Exists(daprDefault) ? [daprDefault] : [];
    }

    private static Section ReadShared(YamlMap map, string baseFolder, bool isCommon)
    {
        if (isCommon)
        {
            map.Check(SharedFields, IgnoredSharedFields, key =>
                key == "envFile" ? EnvFileUnsupported
                : AppOnlyFields.Contains(key) ? $"{key} belongs to each app (under apps), not to common"
                : null);
        }

        var section = new Section();
        if (map.Text("appProtocol") is { } protocol)
        {
            section.AppProtocol = protocol.ToLowerInvariant() is "http" or "h2c" or "grpc"
                ? protocol.ToLowerInvariant()
                : throw map.Error("appProtocol", $"'{protocol}' is not supported; use http, h2c or grpc");
        }

        section.AppHealthCheckPath = map.Text("appHealthCheckPath") is { Length: > 0 } healthPath
            ? healthPath.StartsWith('/') ? healthPath : "/" + healthPath
            : null;
        section.EnableAppHealthCheck = map.Boolean("enableAppHealthCheck");
        if (map.Text("logLevel") is { } logLevel)
        {
            section.LogLevel = LogLevels.Contains(logLevel.ToLowerInvariant())
                ? logLevel.ToLowerInvariant()
                : throw map.Error("logLevel", $"'{logLevel}' is not a log level ({string.Join(", ", LogLevels)})");
        }

        foreach (var (name, value) in map.TextMap("env"))
        {
            section.Env[name] = value;
        }

        foreach (var item in map.TextList("resourcesPaths", "resourcesPaths: [\"./components\"]"))
        {
            section.ResourcesPaths.Add(Folder(map.File, item.Node, item.Path, item.Value, baseFolder));
        }

        if (map.Text("configFilePath") is { Length: > 0 } config)
        {
            section.ConfigFilePath = ConfigFilePath(map, config, baseFolder);
        }

        // As the Dapr CLI does, the deprecated single path is appended after resourcesPaths.
        if (map.Text("resourcesPath") is { Length: > 0 } single)
        {
            section.ResourcesPaths.Add(Folder(map.File, map.Value("resourcesPath")!, map.FieldPath("resourcesPath"), single, baseFolder));
        }

        return section;
    }

    private static string Folder(YamlFile file, YamlDotNet.RepresentationModel.YamlNode node, string field, string value, string baseFolder)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var expanded = value == "~" ? home
            : value.StartsWith("~/", StringComparison.Ordinal) ? System.IO.Path.Combine(home, value[2..])
            : value;
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(expanded, baseFolder));
        if (File.Exists(full))
        {
            throw file.Error(node, $"{field}: '{full}' is a file, not a folder");
        }

        return Directory.Exists(full) ? full : throw file.Error(node, $"{field}: folder '{full}' does not exist");
    }

    private static string ConfigFilePath(YamlMap map, string value, string baseFolder)
    {
        var full = System.IO.Path.GetFullPath(value, baseFolder);
        return File.Exists(full) ? full : throw map.Error("configFilePath", $"file '{full}' does not exist");
    }

    private static int? Port(YamlMap map, string key) =>
        map.Integer(key, 0, 65535, "a port number (1-65535)") is { } port and > 0 ? port : null;

    private static void ClaimPort(YamlMap map, string key, int port, Dictionary<int, string> ports)
    {
        if (port == 0)
        {
            return;
        }

        if (ports.TryGetValue(port, out var owner))
        {
            throw map.Error(key, $"port {port} is already used by {owner}");
        }

        ports[port] = map.FieldPath(key);
    }

    /// <summary>The shared fields of <c>common</c> or of one app, before merging.</summary>
    private sealed class Section
    {
        public string? AppProtocol { get; set; }

        public string? AppHealthCheckPath { get; set; }

        public bool? EnableAppHealthCheck { get; set; }

        public string? LogLevel { get; set; }

        public Dictionary<string, string> Env { get; } = new(StringComparer.Ordinal);

        public List<string> ResourcesPaths { get; } = [];

        public string? ConfigFilePath { get; set; }
    }
}
