using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Csv;

/// <summary>
/// Watches <see cref="CsvOptions.InboxPath"/> for catalog and price files: a file named <c>{kind}*.csv</c>
/// (items..., prices...) is imported once it has not changed for a poll interval, then moved to
/// <c>processed/</c> with its result file in <c>results/{name}.result.csv</c>; a file of no known kind is moved to
/// <c>rejected/</c> with a result file that says so.
/// </summary>
public sealed class CatalogInbox(CatalogImport import, IOptions<IngestOptions> options, TimeProvider clock, ILogger<CatalogInbox> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Csv;
        if (settings.InboxPath.Length == 0)
        {
            return;
        }

        var inbox = Directory.CreateDirectory(settings.InboxPath).FullName;
        foreach (var folder in new[] { "processed", "results", "rejected" })
        {
            Directory.CreateDirectory(Path.Combine(inbox, folder));
        }

        logger.LogInformation("Watching {Inbox} for catalog and price files", inbox);
        using var timer = new PeriodicTimer(settings.PollInterval, clock);
        var seen = new Dictionary<string, (long Length, DateTime Written)>(StringComparer.Ordinal);
        do
        {
            foreach (var file in Directory.EnumerateFiles(inbox, "*.csv").Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(file);
                var now = (info.Length, info.LastWriteTimeUtc);
                // Imported once unchanged since the last look, so a file still being written is not read half-way.
                if (seen.TryGetValue(file, out var before) && before == now)
                {
                    seen.Remove(file);
                    await ImportAsync(inbox, file, stoppingToken);
                }
                else
                {
                    seen[file] = now;
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task ImportAsync(string inbox, string file, CancellationToken ct)
    {
        var name = Path.GetFileName(file);
        var kind = import.Kinds.FirstOrDefault(k => name.StartsWith(k, StringComparison.OrdinalIgnoreCase));
        try
        {
            var result = kind is null
                ? new ImportResult(name, "", [new RowResult(0, 1, RowStatus.Rejected, "", $"the file name does not start with a kind of file taken ({string.Join(", ", import.Kinds)})")])
                : await import.ImportAsync(kind, name, await File.ReadAllBytesAsync(file, ct), ct);
            await File.WriteAllTextAsync(Path.Combine(inbox, "results", $"{name}.result.csv"), result.ToCsv(), ct);
            File.Move(file, Path.Combine(inbox, kind is null ? "rejected" : "processed", name), overwrite: true);
        }
        catch (Exception e) when (e is IOException or Dapr.DaprException)
        {
            // The file stays in the inbox and is tried again at a later look.
            logger.LogWarning("Could not import {File} from the inbox ({Error}); it is tried again", name, e.GetType().Name);
        }
    }
}
