using System.ComponentModel;
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
    /// <summary>The setting that points at the buf binary.</summary>
    public const string PathSetting = "Registry:Buf:Path";

    private readonly string configured = options.Value.Buf.Path;
    private volatile string? verified;

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

    /// <summary>
    /// Why buf cannot judge candidates (missing, or not a buf that answers <c>--version</c>), naming the setting to fix;
    /// null when it can. A binary that answered once is trusted while it stays where it is.
    /// </summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        var executable = BufLocator.Find(configured);
        if (executable is null)
        {
            return Missing();
        }

        if (executable == verified)
        {
            return null;
        }

        try
        {
            var (exitCode, _, _) = await RunAsync(executable, ["--version"], Path.GetTempPath(), cancellationToken);
            if (exitCode != 0)
            {
                return $"the buf CLI that {PathSetting} (or the default search) found does not run as buf: --version exited {exitCode}";
            }

            verified = executable;
            return null;
        }
        catch (Win32Exception)
        {
            return CannotStart();
        }
    }

    private async Task<IReadOnlyList<BufFinding>> RunOnImagesAsync(
        string verb, ByteString image, ByteString? against, string config, IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        var executable = BufLocator.Find(configured) ?? throw Unavailable(Missing());
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

            int exitCode;
            string stdout, stderr;
            try
            {
                (exitCode, stdout, stderr) = await RunAsync(executable, arguments, folder.FullName, cancellationToken);
            }
            catch (Win32Exception)
            {
                throw Unavailable(CannotStart());
            }

            // buf exits 100 when it found violations, 0 when none; anything else is a failure to run: UNAVAILABLE when
            // the binary is not buf at all (an operator's fix), INTERNAL when buf itself failed on this input.
            if (exitCode is not (0 or 100))
            {
                logger.LogError("buf {Verb} exited {ExitCode}: {Error}", verb, exitCode, stderr.Trim());
                throw await ProblemAsync(cancellationToken) is { } problem
                    ? Unavailable(problem)
                    : new RpcException(new Status(StatusCode.Internal, $"the compatibility check could not run: buf {verb} exited {exitCode}"));
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

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string executable, IEnumerable<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable)
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
        using var process = Process.Start(start) ?? throw new Win32Exception($"could not start {executable}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    private string Missing() => string.IsNullOrWhiteSpace(configured)
        ? $"the buf CLI is not installed; set {PathSetting} to the buf binary, or install @bufbuild/buf (npm) or buf on PATH"
        : $"the buf CLI is missing: {PathSetting} names no file";

    private static string CannotStart() => $"the buf CLI cannot be started: {PathSetting} (or the default search) found a file that is not an executable";

    private static RpcException Unavailable(string problem) =>
        new(new Status(StatusCode.Unavailable, $"the compatibility check cannot run: {problem}"));
}
