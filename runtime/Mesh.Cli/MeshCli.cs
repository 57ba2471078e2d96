using System.CommandLine;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Telemetry;

namespace Mesh.Cli;

/// <summary>
/// mesh: the Mesh command line. <c>mesh run -f dapr.yaml</c> runs a Dapr multi-app run file (exit codes: 0
/// stopped with Ctrl-C / SIGTERM, 1 a file is invalid or something failed, otherwise the code of the app that
/// exited). Every other verb is a plug-in: <c>mesh demo ...</c> runs <c>mesh-demo ...</c> (see <see cref="Plugins"/>).
/// </summary>
internal static class MeshCli
{
    private const string RunVerb = "run";

    /// <summary>Parses <paramref name="args"/> and runs the command, looking for plug-ins beside mesh and on PATH.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) => RunAsync(args, output, error, Plugins.Default);

    /// <summary>Parses <paramref name="args"/> and runs the command, looking for plug-ins in <paramref name="plugins"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Plugins plugins)
    {
        // A verb that is not mesh's own belongs to a plug-in, with every argument after it, unparsed.
        if (args is [var verb, .. var rest] && verb != RunVerb && !verb.StartsWith('-') && !verb.StartsWith('['))
        {
            if (plugins.Find(verb) is { } plugin)
            {
                return await PluginProcess.RunAsync(plugin, rest, output, error);
            }

            await error.WriteLineAsync(
                $"mesh: '{verb}' is not a mesh command, and no plug-in mesh-{verb} is beside mesh (in {plugins.Home}) or on PATH; "
                + $"`dotnet build Mesh.sln -c Release` builds the repository's plug-ins beside mesh, or add the folder of mesh-{verb} to PATH");
            return 1;
        }

        var root = new RootCommand("mesh: runs unmodified Dapr apps with an embedded Dapr-compatible runtime; `mesh <verb>` runs the plug-in mesh-<verb> found beside mesh or on PATH")
        {
            Subcommands = { RunCommand(output, error) },
        };
        foreach (var plugin in plugins.All().Where(plugin => plugin.Verb != RunVerb))
        {
            root.Subcommands.Add(new Command(plugin.Verb, $"plug-in: {string.Join(' ', [plugin.Program, .. plugin.Arguments])}"));
        }

        // mesh handles SIGINT/SIGTERM itself: stopping apps takes longer than System.CommandLine's 2s allowance.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
    }

    private static Command RunCommand(TextWriter output, TextWriter error)
    {
        var runFile = new Option<string>("--run-file", "-f")
        {
            Description = "The Dapr multi-app run file (or a folder holding dapr.yaml)",
            Required = true,
        };
        var appIds = new Option<string[]>("--app-id", "-a")
        {
            Description = "Run only this app of the file (repeat for more)",
        };
        var healthTimeout = new Option<int>("--app-health-timeout")
        {
            Description = "Seconds an app may take to answer on its appPort before mesh gives up",
            DefaultValueFactory = _ => 120,
        };
        var enableMetrics = new Option<bool>("--enable-metrics")
        {
            Description = "Serve the runtime's metrics (daprd's names, every sidecar labelled by app_id) for Prometheus",
            DefaultValueFactory = _ => true,
        };
        var metricsPort = new Option<int>("--metrics-port")
        {
            Description = "The port of the runtime's /metrics on 127.0.0.1 (daprd's default 9090; 0 picks a free one)",
            DefaultValueFactory = _ => MetricsEndpoint.DaprMetricsPort,
        };
        var run = new Command(RunVerb, "Runs the apps of a Dapr multi-app run file, each with an embedded Dapr-compatible sidecar")
        {
            runFile, appIds, healthTimeout, enableMetrics, metricsPort,
        };
        run.SetAction((result, _) =>
        {
            // The default port gives way when taken; a port the user chose does not.
            var metrics = result.GetValue(enableMetrics) ? new MetricsEndpoint(result.GetValue(metricsPort), result.GetResult(metricsPort) is null or { Implicit: true }) : null;
            var options = new RunOptions(result.GetValue(runFile)!, result.GetValue(appIds) ?? [], TimeSpan.FromSeconds(Math.Max(1, result.GetValue(healthTimeout))), Metrics: metrics);
            return StopSignals.RunAsync(output, stopping => new MeshRunner(output, error).RunAsync(options, stopping));
        });
        return run;
    }
}
