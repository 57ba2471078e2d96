namespace Mesh.Runtime.Configuration;

/// <summary>A Dapr multi-app run file (dapr.yaml), with <c>common</c> merged into each app and paths made absolute.</summary>
/// <param name="Path">The absolute path of the run file.</param>
/// <param name="Name">The optional <c>name</c>.</param>
/// <param name="Apps">The apps, in file order.</param>
public sealed record RunFile(string Path, string? Name, IReadOnlyList<AppSpec> Apps);

/// <summary>One app of a run file, after merging <c>common</c> (app fields win, app env wins).</summary>
/// <param name="AppId">appID; defaults to the name of appDirPath's folder.</param>
/// <param name="AppDirPath">Absolute; the app's working directory.</param>
/// <param name="AppPort">appPort; 0 when the app receives no calls.</param>
/// <param name="AppProtocol">"http" (default), "h2c" (HTTP/2 without TLS) or "grpc".</param>
/// <param name="AppChannelAddress">appChannelAddress; 127.0.0.1 by default.</param>
/// <param name="DaprHttpPort">daprHTTPPort; null means pick a free port.</param>
/// <param name="DaprGrpcPort">daprGRPCPort; null means pick a free port.</param>
/// <param name="Command">command: the program and its arguments; empty means run no process (sidecar only).</param>
/// <param name="Env">env, common's then the app's.</param>
/// <param name="ResourcesPaths">Absolute component folders in lookup order: app's, app's .dapr/resources, common's.</param>
/// <param name="AppHealthCheckPath">appHealthCheckPath for HTTP apps (default /healthz in Dapr).</param>
/// <param name="EnableAppHealthCheck">enableAppHealthCheck.</param>
/// <param name="LogLevel">logLevel of the sidecar.</param>
/// <param name="ConfigFilePath">The app's Dapr Configuration file (absolute): its configFilePath, its .dapr/config.yaml, or common's; null for none.</param>
public sealed record AppSpec(
    string AppId,
    string AppDirPath,
    int AppPort,
    string AppProtocol,
    string AppChannelAddress,
    int? DaprHttpPort,
    int? DaprGrpcPort,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<string> ResourcesPaths,
    string? AppHealthCheckPath,
    bool EnableAppHealthCheck,
    string LogLevel,
    string? ConfigFilePath = null);

/// <summary>
/// A configuration file is invalid. The message names the file, the line and column when known, and
/// the field, e.g. "dapr.yaml:7:5: apps[1].appPort: 'http' is not a port number".
/// </summary>
public sealed class ConfigurationException(string message) : Exception(message);
