using System.CommandLine;
using System.Runtime.InteropServices;

namespace Mesh.Cli;

/// <summary>
/// mesh: the Mesh command line. <c>mesh run -f dapr.yaml</c> runs a Dapr multi-app run file. Exit codes:
/// 0 stopped with Ctrl-C / SIGTERM, 1 a file is invalid or something failed, otherwise the code of the app that exited.
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
            Subcommands = { run },
        };

        // mesh handles SIGINT/SIGTERM itself: stopping apps takes longer than System.CommandLine's 2s allowance.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
    }

    private static async Task<int> RunUntilSignalAsync(RunOptions options, TextWriter output, TextWriter error)
    {
        using var stopping = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            // A second Ctrl-C is not intercepted: the runtime's default handling ends mesh at once.
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            context.Cancel = true;
            output.WriteLine("mesh: stopping (Ctrl-C again to end at once)");
            stopping.Cancel();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var code = await new MeshRunner(output, error).RunAsync(options, stopping.Token);
        if (stopping.IsCancellationRequested)
        {
            await output.WriteLineAsync("mesh: stopped");
        }

        return code;
    }
}
