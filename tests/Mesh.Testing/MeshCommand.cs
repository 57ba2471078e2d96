using System.Diagnostics;
using System.Text;

namespace Mesh.Testing;

/// <summary>What a run of the mesh command printed and returned.</summary>
public sealed record CommandResult(int Code, string Output, string Error)
{
    /// <summary>The lines written to stderr.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The built <c>mesh</c> run as a real process, as a user runs it (<c>dotnet mesh.dll ...</c>), with mesh-demo beside it.</summary>
public static class MeshCommand
{
    /// <summary>mesh.dll in runtime/Mesh.Cli's output, where the build also puts the mesh-demo plug-in.</summary>
    public static string Assembly { get; } = Repository.BuiltAssembly("runtime/Mesh.Cli", "mesh");

    /// <summary>
    /// Runs mesh with <paramref name="arguments"/> in <paramref name="folder"/>, its environment changed by
    /// <paramref name="environment"/> (a null value removes a variable); kills it and its children when it takes
    /// longer than <paramref name="patience"/>.
    /// </summary>
    public static async Task<CommandResult> RunAsync(
        string folder, IReadOnlyList<string> arguments, TimeSpan patience, IReadOnlyDictionary<string, string?>? environment = null)
    {
        using var mesh = Start(folder, arguments, environment);
        return await mesh.ExitAsync(patience);
    }

    /// <summary>Starts mesh as <see cref="RunAsync"/> does, for a test that acts on it while it runs.</summary>
    public static RunningCommand Start(string folder, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return new RunningCommand(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"), arguments);
    }
}

/// <summary>A mesh process that runs: its output so far, its pid, and its end.</summary>
public sealed class RunningCommand : IDisposable
{
    private readonly Process process;
    private readonly IReadOnlyList<string> arguments;
    private readonly StringBuilder output = new();
    private readonly Task<string> error;
    private readonly Task pump;

    public RunningCommand(Process process, IReadOnlyList<string> arguments)
    {
        this.process = process;
        this.arguments = arguments;
        error = process.StandardError.ReadToEndAsync();
        pump = PumpAsync();
    }

    /// <summary>The mesh process's id.</summary>
    public int Id => process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>What it printed on stdout so far.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Waits until stdout holds <paramref name="fragment"/>; fails with the output when it does not within <paramref name="patience"/>.</summary>
    public Task WaitForOutputAsync(string fragment, TimeSpan patience) =>
        Poll.UntilAsync(
            () => Output.Contains(fragment, StringComparison.Ordinal), patience, () => $"mesh {string.Join(' ', arguments)} did not print '{fragment}':\n{Output}{Ended()}", () => process.HasExited);

    // How mesh ended, when it has: its exit code and what it wrote to stderr (the one-line reason of an operator error).
    private string Ended() => process.HasExited ? $"\n(exited with code {process.ExitCode}; stderr: {(error.Wait(TimeSpan.FromSeconds(5)) ? error.Result : "not closed")})" : "";

    /// <summary>SIGKILLs mesh alone (not its children), as <c>kill -9</c> or the OOM killer would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Waits until mesh exits; kills it and its children when it takes longer than <paramref name="patience"/>.</summary>
    public async Task<CommandResult> ExitAsync(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"mesh {string.Join(' ', arguments)} did not finish within {patience}:\n{Output}\n{await error}");
        }

        await pump;
        return new CommandResult(process.ExitCode, Output, await error);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }

    private async Task PumpAsync()
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
