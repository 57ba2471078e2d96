using System.CommandLine;
using Mesh.Demo.InventoryToCharge;
using Mesh.Demo.ProcureToPay;
using Mesh.Runtime.Hosting;
using Mesh.Scenarios;

namespace Mesh.Demo;

/// <summary>
/// mesh-demo, the plug-in behind <c>mesh demo</c>: one subcommand per scenario. <c>mesh demo inventory-to-charge</c>
/// and <c>mesh demo procure-to-pay</c> run their scenario through the mesh and exit 0 when it reconciles, 1 when it
/// does not or could not run, 2 for bad options.
/// </summary>
internal static class DemoCli
{
    /// <summary>Parses <paramref name="args"/> (what followed <c>mesh demo</c>) and runs the scenario.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("mesh demo: runs a scenario through the mesh and reconciles the result")
        {
            Subcommands = { InventoryToChargeCommand(output, error), ProcureToPayCommand(output, error) },
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
        var outOfOrder = new Option<bool>("--out-of-order") { Description = "Send each location's events latest occurrence first" };
        var mesh = new MeshOptions(timeout: 600, parallelism: 16, "Events in flight while sending");
        var command = new Command("inventory-to-charge", "Sends supply consumption events through the mesh and prints the reconciliation report")
        {
            events, locations, duplicates, unknown, outOfOrder,
        };
        mesh.AddTo(command);
        command.SetAction(async (result, _) =>
        {
            if (result.GetValue(events) is < 1 or > 100_000 || result.GetValue(locations) is < 1 or > 100
                || result.GetValue(duplicates) is < 0 or > 1 || result.GetValue(unknown) is < 0 or > 1)
            {
                await error.WriteLineAsync("mesh demo: --events must be 1 to 100000, --locations 1 to 100, --duplicates and --unknown-items 0 to 1");
                return 2;
            }

            var spec = new ScenarioSpec(result.GetValue(events), result.GetValue(locations), result.GetValue(duplicates), result.GetValue(unknown), OutOfOrder: result.GetValue(outOfOrder));
            var options = mesh.Of(result);
            return await StopSignals.RunAsync(output, stopping => new DemoHost(output, error).RunAsync(
                command.Name, options, (sidecar, ct) => new InventoryToChargeDemo(output).RunAsync(sidecar, spec, options, ct), stopping));
        });
        return command;
    }

    private static Command ProcureToPayCommand(TextWriter output, TextWriter error)
    {
        var requisitions = new Option<int>("--requisitions", "-n") { Description = "Requisitions to raise", DefaultValueFactory = _ => 40 };
        var rejected = new Option<double>("--rejected") { Description = "Share of requisitions the approver rejects (0 to 1)", DefaultValueFactory = _ => 0.1 };
        var partial = new Option<double>("--partial-receipts") { Description = "Share of orders delivered in two parts (0 to 1)", DefaultValueFactory = _ => 0.3 };
        var mismatches = new Option<double>("--price-mismatches") { Description = "Share of invoices 10% above the agreed price, beyond tolerance (0 to 1)", DefaultValueFactory = _ => 0.1 };
        var duplicates = new Option<double>("--duplicates") { Description = "Share of deliveries whose GoodsReceived event is delivered twice (0 to 1)", DefaultValueFactory = _ => 0.05 };
        var locations = new Option<int>("--locations") { Description = "Wards the goods are delivered to", DefaultValueFactory = _ => 4 };
        var mesh = new MeshOptions(timeout: 600, parallelism: 8, "Requisitions worked on at once");
        var command = new Command("procure-to-pay", "Runs requisitions through approval, ordering, receiving, invoicing and payment, and prints the controller's reconciliation report")
        {
            requisitions, rejected, partial, mismatches, duplicates, locations,
        };
        mesh.AddTo(command);
        command.SetAction(async (result, _) =>
        {
            double[] shares = [result.GetValue(rejected), result.GetValue(partial), result.GetValue(mismatches), result.GetValue(duplicates)];
            if (result.GetValue(requisitions) is < 1 or > 10_000 || result.GetValue(locations) is < 1 or > 100 || shares.Any(s => s is < 0 or > 1))
            {
                await error.WriteLineAsync("mesh demo: --requisitions must be 1 to 10000, --locations 1 to 100, --rejected, --partial-receipts, --price-mismatches and --duplicates 0 to 1");
                return 2;
            }

            var spec = new ProcureToPaySpec(result.GetValue(requisitions), shares[0], shares[1], shares[2], shares[3], result.GetValue(locations));
            var options = mesh.Of(result);
            return await StopSignals.RunAsync(output, stopping => new DemoHost(output, error).RunAsync(
                command.Name, options, (sidecar, ct) => new ProcureToPayDemo(output).RunAsync(sidecar, spec, options, ct), stopping));
        });
        return command;
    }

    /// <summary>The options every scenario has: where the mesh is, how long it may take, how much runs at once.</summary>
    private sealed class MeshOptions(int timeout, int parallelism, string parallelismDescription)
    {
        private readonly Option<string> runFile = new("--run-file", "-f") { Description = "The Dapr multi-app run file of the mesh", DefaultValueFactory = _ => "dapr.yaml" };
        private readonly Option<bool> attach = new("--attach") { Description = "Use the sidecar of DAPR_GRPC_ENDPOINT/DAPR_HTTP_ENDPOINT (e.g. under `dapr run`) instead of starting the mesh" };
        private readonly Option<int> timeoutSeconds = new("--timeout") { Description = "Seconds the run may take to settle", DefaultValueFactory = _ => timeout };
        private readonly Option<int> inFlight = new("--parallelism") { Description = parallelismDescription, DefaultValueFactory = _ => parallelism };

        public void AddTo(Command command)
        {
            command.Options.Add(runFile);
            command.Options.Add(attach);
            command.Options.Add(timeoutSeconds);
            command.Options.Add(inFlight);
        }

        public DemoMesh Of(ParseResult result) =>
            new(result.GetValue(runFile)!, result.GetValue(attach), TimeSpan.FromSeconds(Math.Max(1, result.GetValue(timeoutSeconds))), Math.Max(1, result.GetValue(inFlight)));
    }
}
