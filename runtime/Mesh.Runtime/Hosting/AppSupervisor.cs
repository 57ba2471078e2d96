namespace Mesh.Runtime.Hosting;

/// <summary>
/// How <c>mesh run</c> restarts an app that crashed (exited non-zero or by a signal), as an orchestrator would:
/// after <paramref name="FirstDelay"/>, doubling up to <paramref name="MaxDelay"/>. An app that crashed
/// <paramref name="GiveUpAfter"/> times in a row, each time within <paramref name="Healthy"/> of starting, cannot
/// start at all, and ends the run instead of looping forever.
/// </summary>
public sealed record RestartPolicy(TimeSpan FirstDelay, TimeSpan MaxDelay, int GiveUpAfter, TimeSpan Healthy)
{
    /// <summary>1 s doubling to 30 s; five quick crashes in a row end the run; a minute up counts as healthy.</summary>
    public static RestartPolicy Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 5, TimeSpan.FromMinutes(1));

    /// <summary>The wait before restarting after the <paramref name="crashes"/>-th crash in a row (1 for the first).</summary>
    public TimeSpan DelayAfter(int crashes) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks * (1L << Math.Min(crashes - 1, 30))));
}

/// <summary>
/// The app processes of one <c>mesh run</c>. An app that crashes is restarted with backoff behind the same sidecar
/// and port (<see cref="RestartPolicy"/>); an app that exits cleanly, or cannot start, ends the run; stopping stops
/// every app and restarts none.
/// </summary>
internal sealed class AppSupervisor(TextWriter output, TextWriter error, TimeSpan grace, RestartPolicy? restarts = null, TimeProvider? time = null) : IAsyncDisposable
{
    // Ctrl-C in a terminal can reach an app too (one that shares mesh's process group, where apps are not guarded), and
    // it may exit before mesh's own handler runs: an exit followed this closely by the stop request is part of stopping.
    private static readonly TimeSpan SignalRace = TimeSpan.FromMilliseconds(500);

    private readonly RestartPolicy policy = restarts ?? RestartPolicy.Default;
    private readonly TimeProvider clock = time ?? TimeProvider.System;

    // The apps die with mesh even when it is killed and cannot stop them.
    private readonly ProcessGuard? guard = ProcessGuard.Start(grace);
    private readonly List<Supervised> apps = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource<(int Code, string Message)> ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts an app process (see <see cref="AppProcess.Start"/>) and watches it; returns its first process.</summary>
    public AppProcess Launch(string appId, IReadOnlyList<string> command, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var app = new Supervised(appId, () => AppProcess.Start(appId, command, workingDirectory, environment, output, guard));
        lock (apps)
        {
            apps.Add(app);
        }

        app.Watching = WatchAsync(app);
        return app.Current;
    }

    /// <summary>
    /// Waits until the run must end (an app exited cleanly, or crashed too often to go on) or <paramref name="stop"/>
    /// is cancelled. Returns the exit code for mesh: 0 when stopped, else the app's code (1 when it exited with 0,
    /// which is still unexpected).
    /// </summary>
    public async Task<int> WaitAsync(CancellationToken stop)
    {
        // From the stop request on, nothing is restarted: the apps are about to be stopped.
        using var noRestarts = stop.Register(stopping.Cancel);
        var stopped = Task.Delay(Timeout.Infinite, stop);
        if (await Task.WhenAny(ended.Task, stopped) == ended.Task)
        {
            await Task.WhenAny(stopped, Task.Delay(SignalRace, CancellationToken.None));
        }

        if (stopped.IsCompleted)
        {
            return 0;
        }

        var (code, message) = await ended.Task;
        await error.WriteLineAsync(message);
        return code == 0 ? 1 : code;
    }

    /// <summary>Stops every app that still runs, at the same time, and restarts none from now on.</summary>
    public async Task StopAllAsync()
    {
        await stopping.CancelAsync();
        List<Supervised> all;
        lock (apps)
        {
            all = [.. apps];
        }

        await Task.WhenAll(all.Select(app => app.StopAsync(grace)));
        await Task.WhenAll(all.Select(app => app.Watching));
    }

    /// <summary>Stops every app that still runs (see <see cref="StopAllAsync"/>) and releases them.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAllAsync();
        foreach (var app in apps)
        {
            await app.Current.DisposeAsync();
        }

        guard?.Dispose();
        stopping.Dispose();
    }

    private async Task WatchAsync(Supervised app)
    {
        var crashes = 0;
        while (true)
        {
            var started = clock.GetTimestamp();
            var code = await app.Current.Exited;
            if (code == 0)
            {
                ended.TrySetResult((code, $"mesh: app '{app.AppId}' exited with code 0; stopping the others"));
                return;
            }

            // An exit just before a stop request is the app reacting to Ctrl-C, not a crash.
            if (await StoppingWithinAsync(SignalRace))
            {
                return;
            }

            crashes = clock.GetElapsedTime(started) >= policy.Healthy ? 1 : crashes + 1;
            if (crashes >= policy.GiveUpAfter)
            {
                ended.TrySetResult((code, $"mesh: app '{app.AppId}' crashed {crashes} time{(crashes == 1 ? "" : "s")} in a row (last {Describe(code)}); stopping the others"));
                return;
            }

            var delay = policy.DelayAfter(crashes);
            await error.WriteLineAsync($"mesh: app '{app.AppId}' crashed ({Describe(code)}); restarting it in {delay.TotalSeconds:0.###}s");
            if (await StoppingWithinAsync(delay))
            {
                return;
            }

            try
            {
                if (!app.Restart(stopping.Token))
                {
                    return;
                }
            }
            catch (InvalidOperationException e)
            {
                ended.TrySetResult((1, $"mesh: {e.Message}; stopping the others"));
                return;
            }

            await output.WriteLineAsync($"mesh: restarted app '{app.AppId}'");
        }
    }

    private async Task<bool> StoppingWithinAsync(TimeSpan wait)
    {
        try
        {
            await Task.Delay(wait, clock, stopping.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    // .NET reports a process ended by a signal as 128 + the signal's number, as shells do.
    private static string Describe(int code) => code > 128 && code < 160 ? $"exit code {code}, signal {code - 128}" : $"exit code {code}";

    /// <summary>One app of the run: the process running now, and how to start it again.</summary>
    private sealed class Supervised(string appId, Func<AppProcess> start)
    {
        private readonly object gate = new();

        public string AppId { get; } = appId;

        public AppProcess Current { get; private set; } = start();

        public Task Watching { get; set; } = Task.CompletedTask;

        /// <summary>Starts the app again unless the run is stopping (then false); the crashed process is released.</summary>
        public bool Restart(CancellationToken stopping)
        {
            AppProcess crashed;
            lock (gate)
            {
                if (stopping.IsCancellationRequested)
                {
                    return false;
                }

                crashed = Current;
                Current = start();
            }

            _ = crashed.DisposeAsync().AsTask();
            return true;
        }

        public Task StopAsync(TimeSpan grace)
        {
            lock (gate)
            {
                return Current.StopAsync(grace);
            }
        }
    }
}
