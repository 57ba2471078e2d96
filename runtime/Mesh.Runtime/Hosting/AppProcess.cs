using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Mesh.Runtime.Hosting;

/// <summary>
/// One app's process, run as the Dapr CLI runs it: in its appDirPath, with the given environment added to
/// mesh's own, and every line of its stdout and stderr printed as "== APP - &lt;appId&gt; == line".
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    // A grandchild that inherited the pipes can keep them open after the app exits; do not wait for it.
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Process process;
    private readonly Task output;
    private readonly ProcessGuard? guard;

    private AppProcess(string appId, Process process, TextWriter writer, ProcessGuard? guard)
    {
        AppId = appId;
        this.process = process;
        this.guard = guard;
        guard?.Watch(process.Id);
        var prefix = $"== APP - {appId} == ";
        output = Task.WhenAll(PumpAsync(process.StandardOutput, prefix, writer), PumpAsync(process.StandardError, prefix, writer));
        Exited = WaitForExitAsync();
    }

    /// <summary>The app id, for messages.</summary>
    public string AppId { get; }

    /// <summary>Completes with the exit code once the process has exited and its output is printed.</summary>
    public Task<int> Exited { get; }

    /// <summary>
    /// Starts <paramref name="command"/> (program and arguments) in <paramref name="workingDirectory"/>; with a
    /// <paramref name="guard"/>, in a process group of its own that the guard ends if mesh dies without stopping it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The program could not be started; the message says which and why.</exception>
    public static AppProcess Start(
        string appId, IReadOnlyList<string> command, string workingDirectory, IReadOnlyDictionary<string, string> environment, TextWriter output, ProcessGuard? guard = null)
    {
        if (command.Count == 0)
        {
            throw new InvalidOperationException($"app '{appId}' has no command to run");
        }

        // Like Go's exec (the Dapr CLI), a relative program path is relative to the app's folder, not to mesh's.
        var program = command[0].Contains('/', StringComparison.Ordinal) || (OperatingSystem.IsWindows() && command[0].Contains('\\', StringComparison.Ordinal))
            ? Path.GetFullPath(command[0], workingDirectory)
            : command[0];
        if (guard is not null)
        {
            // setsid would report a missing program only as its own exit code: say it here, as Process.Start would.
            program = Path.IsPathFullyQualified(program) ? program : Executables.Find(program) ?? program;
            if (!File.Exists(program))
            {
                throw new InvalidOperationException($"app '{appId}': cannot start '{command[0]}' in {workingDirectory}: no such file");
            }
        }

        var line = guard?.InGroup(program, command.Skip(1)) ?? [program, .. command.Skip(1)];
        var start = new ProcessStartInfo(line[0])
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in line.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        try
        {
            var process = Process.Start(start) ?? throw new InvalidOperationException($"app '{appId}': '{command[0]}' did not start");
            return new AppProcess(appId, process, output, guard);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"app '{appId}': cannot start '{command[0]}' in {workingDirectory}: {e.Message}", e);
        }
    }

    /// <summary>Asks the app to stop (SIGTERM) and kills its process tree if it is still running after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (Exited.IsCompleted)
        {
            return;
        }

        // The whole group when guarded: `dotnet run` may not pass SIGTERM on to the app it started.
        if (ProcessSignals.Terminate(guard is null ? process.Id : -process.Id) && await Task.WhenAny(Exited, Task.Delay(grace)) == Exited)
        {
            return;
        }

        Kill();
        await Exited;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Kill();
        await Exited;
        process.Dispose();
    }

    private void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited in the meantime.
        }
    }

    // What is left of the app's group once its first process exited (the app under a `dotnet run` that was killed) goes too.
    private void KillGroup()
    {
        if (guard is not null)
        {
            ProcessSignals.KillGroup(process.Id);
            guard.Forget(process.Id);
        }
    }

    private static async Task PumpAsync(StreamReader reader, string prefix, TextWriter writer)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            await writer.WriteLineAsync(prefix + line);
        }
    }

    private async Task<int> WaitForExitAsync()
    {
        await process.WaitForExitAsync();
        KillGroup();
        await Task.WhenAny(output, Task.Delay(OutputDrainTimeout));
        return process.ExitCode;
    }
}
