using System.CommandLine;
using Mesh.Demo.InventoryToCharge;
using Mesh.Runtime.Hosting;
using Mesh.Scenarios;

namespace Mesh.Demo;

/// <summary>
/// mesh-demo, the plug-in behind <c>mesh demo</c>: one subcommand per scenario. <c>mesh demo inventory-to-charge</c>
/// runs the scenario through the mesh and exits 0 when it reconciles, 1 when it does not or could not run, 2 for
/// bad options.
/// </summary>
internal static class DemoCli
{
    /// <summary>Parses <paramref name="args"/> (what followed <c>mesh demo</c>) and runs the scenario.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("mesh demo: runs a scenario through the mesh and reconciles the result")
        {
            Subcommands = { InventoryToChargeCommand(output, error) },
        };

        // Like mesh, the demo handles SIGINT/SIGTERM itself: stopping the mesh takes longer than System.CommandLine's 2s allowance.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
    }

    private static Command InventoryToChargeCommand(TextWriter output, TextWriter error)
    {
        var events = new Option<int>("--events", "-n") { Description = "Consumption events to send", DefaultValueFactory = _ => 200 };
        var locations = new Option<int>("--locations") { Description = "Operating rooms to spread them over", DefaultValueFactory = _ => 4 };
        var duplicates = new Option<double>("--duplicates") { Description = "Share of events sent twice (0 to 1)", DefaultValueFactory = _ => 0.05 };
        var unknown = new Option<double>("--unknown-items") { Description = "Share of events naming an item master data does not know (0 to 1)", DefaultValueFactory = _ => 0.02 };
        var runFile = new Option<string>("--run-file", "-f") { Description = "The Dapr multi-app run file of the mesh", DefaultValueFactory = _ => "dapr.yaml" };
        var attach = new Option<bool>("--attach") { Description = "Use the sidecar of DAPR_GRPC_ENDPOINT/DAPR_HTTP_ENDPOINT (e.g. under `dapr run`) instead of starting the mesh" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds the events may take to settle", DefaultValueFactory = _ => 600 };
        var parallelism = new Option<int>("--parallelism") { Description = "Events in flight while sending", DefaultValueFactory = _ => 16 };
        var command = new Command("inventory-to-charge", "Sends supply consumption events through the mesh and prints the reconciliation report")
        {
            events, locations, duplicates, unknown, runFile, attach, timeout, parallelism,
        };
        command.SetAction(async (result, _) =>
        {
            if (result.GetValue(events) is < 1 or > 100_000 || result.GetValue(locations) is < 1 or > 100
                || result.GetValue(duplicates) is < 0 or > 1 || result.GetValue(unknown) is < 0 or > 1)
            {
                await error.WriteLineAsync("mesh demo: --events must be 1 to 100000, --locations 1 to 100, --duplicates and --unknown-items 0 to 1");
                return 2;
            }

            var spec = new ScenarioSpec(result.GetValue(events), result.GetValue(locations), result.GetValue(duplicates), result.GetValue(unknown));
            var options = new DemoOptions(spec, result.GetValue(runFile)!, result.GetValue(attach), TimeSpan.FromSeconds(Math.Max(1, result.GetValue(timeout))), Math.Max(1, result.GetValue(parallelism)));
            return await StopSignals.RunAsync(output, stopping => new InventoryToChargeDemo(output, error).RunAsync(options, stopping));
        });
        return command;
    }
}
