using System.CommandLine;
using Mesh.Runtime.Hosting;

namespace Mesh.Cli;

/// <summary>
/// mesh: the Mesh command line. <c>mesh run -f dapr.yaml</c> runs a Dapr multi-app run file (exit codes: 0
/// stopped with Ctrl-C / SIGTERM, 1 a file is invalid or something failed, otherwise the code of the app that
/// exited); <c>mesh demo inventory-to-charge</c> runs the scenario and exits 0 when it reconciles.
/// </summary>
internal static class MeshCli
{
    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
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
        var run = new Command("run", "Runs the apps of a Dapr multi-app run file, each with an embedded Dapr-compatible sidecar")
        {
            runFile, appIds, healthTimeout,
        };
        run.SetAction((result, _) => RunUntilSignalAsync(
            new RunOptions(result.GetValue(runFile)!, result.GetValue(appIds) ?? [], TimeSpan.FromSeconds(Math.Max(1, result.GetValue(healthTimeout)))),
            output,
            error));

        var root = new RootCommand("mesh: runs unmodified Dapr apps with an embedded Dapr-compatible runtime")
        {
            Subcommands = { run, DemoCommand(output, error) },
        };

        // mesh handles SIGINT/SIGTERM itself: stopping apps takes longer than System.CommandLine's 2s allowance.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
    }

    private static Command DemoCommand(TextWriter output, TextWriter error)
    {
        var events = new Option<int>("--events", "-n") { Description = "Consumption events to send", DefaultValueFactory = _ => 200 };
        var locations = new Option<int>("--locations") { Description = "Operating rooms to spread them over", DefaultValueFactory = _ => 4 };
        var duplicates = new Option<double>("--duplicates") { Description = "Share of events sent twice (0 to 1)", DefaultValueFactory = _ => 0.05 };
        var unknown = new Option<double>("--unknown-items") { Description = "Share of events naming an item master data does not know (0 to 1)", DefaultValueFactory = _ => 0.02 };
        var runFile = new Option<string>("--run-file", "-f") { Description = "The Dapr multi-app run file of the mesh", DefaultValueFactory = _ => "dapr.yaml" };
        var attach = new Option<bool>("--attach") { Description = "Use the sidecar of DAPR_GRPC_ENDPOINT/DAPR_HTTP_ENDPOINT (e.g. under `dapr run`) instead of starting the mesh" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds the events may take to settle", DefaultValueFactory = _ => 600 };
        var parallelism = new Option<int>("--parallelism") { Description = "Events in flight while sending", DefaultValueFactory = _ => 16 };
        var inventoryToCharge = new Command("inventory-to-charge", "Sends supply consumption events through the mesh and prints the reconciliation report")
        {
            events, locations, duplicates, unknown, runFile, attach, timeout, parallelism,
        };
        inventoryToCharge.SetAction(async (result, _) =>
        {
            if (result.GetValue(events) is < 1 or > 100_000 || result.GetValue(locations) is < 1 or > 100
                || result.GetValue(duplicates) is < 0 or > 1 || result.GetValue(unknown) is < 0 or > 1)
            {
                await error.WriteLineAsync("mesh demo: --events must be 1 to 100000, --locations 1 to 100, --duplicates and --unknown-items 0 to 1");
                return 2;
            }

            var spec = new Mesh.Scenarios.ScenarioSpec(result.GetValue(events), result.GetValue(locations), result.GetValue(duplicates), result.GetValue(unknown));
            var options = new Demo.DemoOptions(spec, result.GetValue(runFile)!, result.GetValue(attach), TimeSpan.FromSeconds(Math.Max(1, result.GetValue(timeout))), Math.Max(1, result.GetValue(parallelism)));
            return await StopSignals.RunAsync(output, stopping => new Demo.InventoryToChargeDemo(output, error).RunAsync(options, stopping));
        });
        return new Command("demo", "Runs a scenario through the mesh and reconciles the result") { Subcommands = { inventoryToCharge } };
    }

    private static Task<int> RunUntilSignalAsync(RunOptions options, TextWriter output, TextWriter error) =>
        StopSignals.RunAsync(output, stopping => new MeshRunner(output, error).RunAsync(options, stopping));
}
