namespace Mesh.Runtime.Hosting;

/// <summary>
/// The app processes of one <c>mesh run</c>. Mesh runs as long as every app runs: the first app that
/// exits on its own ends the run, and stopping stops every app.
/// </summary>
internal sealed class AppSupervisor(TextWriter output, TextWriter error, TimeSpan grace) : IAsyncDisposable
{
    // Ctrl-C in a terminal reaches the apps too (they share mesh's process group), and one may exit before
    // mesh's own handler runs: an exit followed this closely by the stop request is part of stopping.
    private static readonly TimeSpan SignalRace = TimeSpan.FromMilliseconds(500);

    private readonly List<AppProcess> apps = [];

    /// <summary>Starts an app process (see <see cref="AppProcess.Start"/>).</summary>
    public AppProcess Launch(string appId, IReadOnlyList<string> command, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var app = AppProcess.Start(appId, command, workingDirectory, environment, output);
        apps.Add(app);
        return app;
    }

    /// <summary>
    /// Waits until an app exits on its own or <paramref name="stopping"/> is cancelled. Returns the exit
    /// code for mesh: 0 when stopped, else the app's code (1 when the app exited with 0, which is still unexpected).
    /// </summary>
    public async Task<int> WaitAsync(CancellationToken stopping)
    {
        var stopped = Task.Delay(Timeout.Infinite, stopping);
        var first = await Task.WhenAny(apps.Select(app => (Task)app.Exited).Append(stopped));
        if (first != stopped)
        {
            await Task.WhenAny(stopped, Task.Delay(SignalRace, CancellationToken.None));
        }

        if (stopped.IsCompleted)
        {
            return 0;
        }

        var exited = apps.First(app => app.Exited == first);
        var code = await exited.Exited;
        await error.WriteLineAsync($"mesh: app '{exited.AppId}' exited with code {code}; stopping the others");
        return code == 0 ? 1 : code;
    }

    /// <summary>Stops every app that still runs, at the same time.</summary>
    public Task StopAllAsync() => Task.WhenAll(apps.Select(app => app.StopAsync(grace)));

    /// <summary>Stops every app that still runs (see <see cref="StopAllAsync"/>) and releases them.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAllAsync();
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }
    }
}
