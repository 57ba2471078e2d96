using System.Diagnostics;
using System.Runtime.Versioning;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Tests.Configuration;
using Mesh.Testing;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>The built mesh running a plug-in from PATH as a real process, as a terminal or a supervisor runs it.</summary>
public sealed class PluginProcessTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Plugin_MeshGetsSigterm_PluginGetsItAndMeshEndsWithItsCode()
    {
        var plugins = folder.Folder("plugins");
        var plugin = folder.Write("plugins/mesh-sleepy", "#!/bin/sh\ntrap 'echo got TERM; exit 5' TERM\necho ready\nwhile :; do sleep 0.1; done\n");
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repository.BuiltAssembly("runtime/Mesh.Cli", "mesh"));
        start.ArgumentList.Add("sleepy");
        start.Environment["PATH"] = $"{plugins}{Path.PathSeparator}{Environment.GetEnvironmentVariable("PATH")}";
        using var mesh = Process.Start(start)!;
        var error = mesh.StandardError.ReadToEndAsync();

        Assert.Equal("ready", await mesh.StandardOutput.ReadLineAsync().WaitAsync(Patience));
        Assert.True(ProcessSignals.Terminate(mesh.Id));
        var rest = await mesh.StandardOutput.ReadToEndAsync().WaitAsync(Patience);
        await mesh.WaitForExitAsync().WaitAsync(Patience);

        Assert.Equal("got TERM", rest.Trim());
        Assert.Equal(5, mesh.ExitCode);
        Assert.Equal("", await error);
    }
}
