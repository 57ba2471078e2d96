using System.Diagnostics;

namespace Mesh.Runtime.Tests.Cli;

/// <summary><c>mesh run</c> as a real process, for tests that SIGKILL it and start it again.</summary>
public static class MeshProcess
{
    /// <summary>Starts <c>mesh run -f dapr.yaml</c> in <paramref name="folder"/> (mesh.dll is built next to the tests).</summary>
    public static Process Start(string folder)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "mesh.dll"), "run", "-f", Path.Combine(folder, "dapr.yaml") })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
