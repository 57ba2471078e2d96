using System.Diagnostics;
using System.Text;

namespace Mesh.Testing;

/// <summary>
/// A built Mesh app run as a real process (<c>dotnet App.dll</c>) on a loopback port, so a test can SIGKILL
/// it mid-work and start it again. Its output is kept for the failure message of a test.
/// </summary>
public sealed class ChildApp : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output;

    private ChildApp(Process process, StringBuilder output, int port)
    {
        this.process = process;
        this.output = output;
        Port = port;
    }

    /// <summary>The port the app listens on.</summary>
    public int Port { get; }

    /// <summary>What the app wrote so far.</summary>
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

    /// <summary>
    /// Starts the app with <paramref name="environment"/> and its Kestrel endpoint <paramref name="endpoint"/> moved to
    /// 127.0.0.1:<paramref name="port"/> (appsettings.json pins Kestrel:Endpoints, which beats --urls), and waits
    /// until <c>/alive</c> answers.
    /// </summary>
    public static async Task<ChildApp> StartAsync(string assembly, string endpoint, int port, IReadOnlyDictionary<string, string?> environment, bool http2Only = false)
    {
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException($"{assembly} is not built; build the solution first", assembly);
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(assembly)! };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add($"--Kestrel:Endpoints:{endpoint}:Url=http://127.0.0.1:{port}");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {assembly} did not start");
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var app = new ChildApp(process, output, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var attempt = 0; attempt < 300 && !process.HasExited; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/alive");
                if (http2Only)
                {
                    request.Version = System.Net.HttpVersion.Version20;
                    request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
                }

                if ((await http.SendAsync(request)).IsSuccessStatusCode)
                {
                    return app;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or too busy starting to answer within the timeout.
            }

            await Task.Delay(100);
        }

        await app.DisposeAsync();
        throw new TimeoutException($"{Path.GetFileName(assembly)} did not answer on 127.0.0.1:{port}/alive:\n{app.Output}");
    }

    /// <summary>Ends the process at once (SIGKILL on Linux): no shutdown code of the app runs.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
