using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Configuration;

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

    /// <summary>The app's process id (e.g. to pin it to a core in a benchmark).</summary>
    public int ProcessId => process.Id;

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
    /// Starts the app with <paramref name="configuration"/> as its environment (keys with ':' become '__', as .NET reads
    /// them back) and its Kestrel endpoint moved to 127.0.0.1:<paramref name="port"/> (any other it declares to the port
    /// <paramref name="configuration"/> gives it, or one the OS picks), and waits until <c>/alive</c> answers (over
    /// HTTP/2 for an app that speaks only that).
    /// </summary>
    /// <exception cref="IOException">The port was taken by another process before the app bound it.</exception>
    public static async Task<ChildApp> StartAsync(string assembly, int port, IReadOnlyDictionary<string, string?> configuration)
    {
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException($"{assembly} is not built; build the solution first", assembly);
        }

        var appSettings = new ConfigurationBuilder().AddJsonFile(Path.Combine(Path.GetDirectoryName(assembly)!, "appsettings.json"), optional: true).Build();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(assembly)! };
        start.ArgumentList.Add(assembly);
        foreach (var (key, value) in KestrelEndpoints.MovedTo(appSettings, port, configuration))
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        foreach (var (name, value) in configuration)
        {
            start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var output = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {assembly} did not start");
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var app = new ChildApp(process, output, port);
        var http2Only = KestrelEndpoints.Http2Only(appSettings, configuration);
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
        var said = app.Output;
        throw said.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
            ? new IOException($"{Path.GetFileName(assembly)} could not bind 127.0.0.1:{port}:\n{said}")
            : new TimeoutException($"{Path.GetFileName(assembly)} did not answer on 127.0.0.1:{port}/alive:\n{said}");
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
