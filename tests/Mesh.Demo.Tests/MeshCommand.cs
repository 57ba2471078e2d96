using System.Diagnostics;
using System.Text;
using Mesh.Testing;

namespace Mesh.Demo.Tests;

/// <summary>What a run of the mesh command printed and returned.</summary>
internal sealed record CommandResult(int Code, string Output, string Error)
{
    /// <summary>The lines written to stderr.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The built <c>mesh</c> run as a real process, as a user runs it (<c>dotnet mesh.dll ...</c>), with mesh-demo beside it.</summary>
internal static class MeshCommand
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

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"mesh {string.Join(' ', arguments)} did not finish within {patience}:\n{await output}\n{await error}");
        }

        return new CommandResult(process.ExitCode, await output, await error);
    }
}
