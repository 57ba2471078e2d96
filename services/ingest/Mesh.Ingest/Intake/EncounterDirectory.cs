using System.Text.Json;
using Dapr.Client;
using Google.Protobuf;
using Mesh.Contracts.Ingest.V1;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Intake;

/// <summary>
/// The encounter contexts kept from ADT messages, one per sending facility and visit number, in state with the
/// raw-message retention. An ADT message older than the one last applied (by its event time) does not overwrite
/// it, so messages that arrive out of order leave the latest state.
/// </summary>
public sealed class EncounterDirectory(DaprClient dapr, IOptions<IngestOptions> options)
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The context of a visit, or null.</summary>
    public async Task<EncounterContext?> GetAsync(string facility, string visit, CancellationToken ct)
    {
        var (context, _) = await ReadAsync(Key(facility, visit), ct);
        return context;
    }

    /// <summary>Applies an ADT message's context unless a newer one is already kept.</summary>
    public async Task SaveAsync(EncounterContext context, CancellationToken ct)
    {
        var key = Key(context.SendingFacility, context.Patient?.EncounterId ?? "");
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var (current, etag) = await ReadAsync(key, ct);
            if (current?.UpdateTime is { } kept && context.UpdateTime is { } incoming && incoming < kept)
            {
                return;
            }

            var json = JsonDocument.Parse(JsonFormatter.Default.Format(context)).RootElement;
            if (await dapr.TrySaveStateAsync(options.Value.StateStore, key, json, etag, new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }, RawArchive.Retention(options.Value), ct))
            {
                return;
            }
        }

        throw new global::Grpc.Core.RpcException(new global::Grpc.Core.Status(global::Grpc.Core.StatusCode.Aborted, "the encounter context kept changing; resend the message"));
    }

    private async Task<(EncounterContext? Context, string ETag)> ReadAsync(string key, CancellationToken ct)
    {
        var (json, etag) = await dapr.GetStateAndETagAsync<JsonElement>(options.Value.StateStore, key, cancellationToken: ct);
        return (json.ValueKind == JsonValueKind.Object ? Parser.Parse<EncounterContext>(json.GetRawText()) : null, etag ?? "");
    }

    private static string Key(string facility, string visit) => $"encounter:{IntakeKeys.Of(facility, visit)}";
}
