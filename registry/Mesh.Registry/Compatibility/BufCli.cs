using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Registry.Buf;
using Microsoft.Extensions.Options;

namespace Mesh.Registry.Compatibility;

/// <summary>One finding printed by <c>buf breaking</c> or <c>buf lint</c> with <c>--error-format json</c>.</summary>
public sealed record BufFinding(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("start_line")] int StartLine,
    [property: JsonPropertyName("start_column")] int StartColumn,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("message")] string Message);

/// <summary>
/// Runs the buf CLI on images written to a temporary folder. buf is the judge of compatibility and
/// lint; the registry never re-implements its rules.
/// </summary>
public sealed class BufCli(IOptions<RegistryOptions> options, ILogger<BufCli> logger)
{
    private readonly Lazy<string> executable = new(() => BufLocator.Locate(options.Value.Buf.Path));

    /// <summary>The buf binary in use.</summary>
    public string Executable => executable.Value;

    /// <summary>Runs <c>buf breaking</c>: the findings of <paramref name="candidate"/> checked against <paramref name="against"/>.</summary>
    public Task<IReadOnlyList<BufFinding>> BreakingAsync(
        ByteString candidate, ByteString against, string category, IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        var config = JsonSerializer.Serialize(new { version = "v2", breaking = new { use = new[] { category } } });
        return RunOnImagesAsync("breaking", candidate, against, config, paths, cancellationToken);
    }

    /// <summary>Runs <c>buf lint</c> on the given files of an image.</summary>
    public Task<IReadOnlyList<BufFinding>> LintAsync(
        ByteString image, IReadOnlyCollection<string> use, IReadOnlyCollection<string> except, IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        var config = JsonSerializer.Serialize(new
        {
            version = "v2",
            lint = new { use = use.Count == 0 ? ["STANDARD"] : use, except },
        });
        return RunOnImagesAsync("lint", image, against: null, config, paths, cancellationToken);
    }

    private async Task<IReadOnlyList<BufFinding>> RunOnImagesAsync(
        string verb, ByteString image, ByteString? against, string config, IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("mesh-registry-");
        try
        {
            var arguments = new List<string> { verb, Path.Combine(folder.FullName, "candidate.binpb") };
            await File.WriteAllBytesAsync(arguments[1], image.ToByteArray(), cancellationToken);
            if (against is not null)
            {
                var againstPath = Path.Combine(folder.FullName, "against.binpb");
                await File.WriteAllBytesAsync(againstPath, against.ToByteArray(), cancellationToken);
                arguments.AddRange(["--against", againstPath]);
            }

            arguments.AddRange(["--error-format", "json", "--config", config]);
            foreach (var path in paths)
            {
                arguments.AddRange(["--path", path]);
            }

            var (exitCode, stdout, stderr) = await RunAsync(arguments, folder.FullName, cancellationToken);
            // buf exits 100 when it found violations, 0 when none; anything else is a failure to run.
            if (exitCode is not (0 or 100))
            {
                logger.LogError("buf {Verb} exited {ExitCode}: {Error}", verb, exitCode, stderr.Trim());
                throw new RpcException(new Status(StatusCode.Internal, $"the compatibility check could not run: buf {verb} exited {exitCode}"));
            }

            return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => JsonSerializer.Deserialize<BufFinding>(line)!)
                .ToList();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        IEnumerable<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // buf caches under $HOME; a service account may have none.
        start.Environment["BUF_CACHE_DIR"] = Path.Combine(Path.GetTempPath(), "mesh-registry-buf-cache");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Executable}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }
}
