using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Mesh.Runtime.Hosting;

namespace Mesh.Cli;

/// <summary>Runs a plug-in with the user's arguments, as git runs git-&lt;verb&gt;: its output is mesh's, its exit code mesh's.</summary>
internal static class PluginProcess
{
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Starts <paramref name="plugin"/> with <paramref name="arguments"/> and copies its stdout and stderr line by line
    /// to <paramref name="output"/> and <paramref name="error"/> until it exits; returns its exit code. While it runs,
    /// Ctrl-C is the plug-in's to handle (the terminal sends it to both) and SIGTERM is passed on to it.
    /// </summary>
    public static async Task<int> RunAsync(Plugin plugin, IReadOnlyList<string> arguments, TextWriter output, TextWriter error)
    {
        var start = new ProcessStartInfo(plugin.Program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in plugin.Arguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("the process did not start");
        }
        catch (Win32Exception e)
        {
            await error.WriteLineAsync($"mesh: cannot run the plug-in {plugin.Program} for 'mesh {plugin.Verb}': {e.Message}");
            return 1;
        }

        using (process)
        {
            // Only the first signal is held back; a second one ends mesh at once, as it would without a plug-in.
            var held = 0;
            void OnSignal(PosixSignalContext context)
            {
                if (Interlocked.Exchange(ref held, 1) == 1)
                {
                    return;
                }

                context.Cancel = true;
                if (context.Signal == PosixSignal.SIGTERM)
                {
                    ProcessSignals.Terminate(process.Id);
                }
            }

            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            var pumps = Task.WhenAll(PumpAsync(process.StandardOutput, output), PumpAsync(process.StandardError, error));
            await process.WaitForExitAsync();
            // A process the plug-in left behind can hold its output open; its lines are not worth waiting for.
            await Task.WhenAny(pumps, Task.Delay(OutputDrainTimeout));
            return process.ExitCode;
        }
    }

    private static async Task PumpAsync(StreamReader reader, TextWriter writer)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            await writer.WriteLineAsync(line);
        }
    }
}
