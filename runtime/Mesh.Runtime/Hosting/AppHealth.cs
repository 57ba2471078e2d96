using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Hosting;

/// <summary>Waits for an app to answer before its sidecar starts delivering to it, as daprd does.</summary>
internal static class AppHealth
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Probes until the app answers: a GET of appHealthCheckPath (default /healthz) that returns 2xx when
    /// enableAppHealthCheck is set for an http or h2c app (over HTTP/2 for h2c), else a TCP connection to appPort. Prints progress while
    /// waiting; false when <paramref name="timeout"/> passes first on <paramref name="time"/> (the system clock by default).
    /// </summary>
    public static async Task<bool> WaitAsync(AppSpec app, TimeSpan timeout, TextWriter output, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var useHttp = app.EnableAppHealthCheck && (app.AppProtocol is "http" or "h2c");
        var target = useHttp
            ? new UriBuilder(Uri.UriSchemeHttp, app.AppChannelAddress, app.AppPort, app.AppHealthCheckPath ?? "/healthz").Uri
            : null;
        var description = target?.ToString() ?? $"{app.AppChannelAddress}:{app.AppPort}";
        using var http = new HttpClient { Timeout = ProbeTimeout };
        if (app.AppProtocol == "h2c")
        {
            http.DefaultRequestVersion = System.Net.HttpVersion.Version20;
            http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        var started = time.GetTimestamp();
        var nextProgress = ProgressInterval;
        while (true)
        {
            var answered = target is null ? await TcpProbe.ConnectsAsync(app.AppChannelAddress, app.AppPort, ProbeTimeout, cancellationToken) : await AnswersAsync(http, target, cancellationToken);
            var elapsed = time.GetElapsedTime(started);
            if (answered)
            {
                await output.WriteLineAsync($"mesh: app '{app.AppId}' answers on {description} ({elapsed.TotalSeconds:0.0}s)");
                return true;
            }

            if (elapsed >= timeout)
            {
                return false;
            }

            if (elapsed >= nextProgress)
            {
                await output.WriteLineAsync($"mesh: waiting for app '{app.AppId}' on {description} ({elapsed.TotalSeconds:0}s of {timeout.TotalSeconds:0}s)");
                nextProgress += ProgressInterval;
            }

            await Task.Delay(ProbeInterval, time, cancellationToken);
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient http, Uri target, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(target, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}
