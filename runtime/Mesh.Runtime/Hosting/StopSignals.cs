using System.Runtime.InteropServices;

namespace Mesh.Runtime.Hosting;

/// <summary>Ctrl-C and SIGTERM for commands that run a mesh: the first asks the work to stop, a second ends the process.</summary>
public static class StopSignals
{
    /// <summary>
    /// Runs <paramref name="work"/> with a token cancelled by the first SIGINT or SIGTERM (the process then stays up
    /// until the work returns, however long stopping apps takes); a second signal is left to the runtime, which ends
    /// the process at once.
    /// </summary>
    public static async Task<int> RunAsync(TextWriter output, Func<CancellationToken, Task<int>> work)
    {
        using var stopping = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
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
        var code = await work(stopping.Token);
        if (stopping.IsCancellationRequested)
        {
            await output.WriteLineAsync("mesh: stopped");
        }

        return code;
    }
}
