namespace Mesh.Ingest.Intake;

/// <summary>An inbound format whose stored messages can be mapped again, for replays from the exception queue.</summary>
public interface IReplayableFormat
{
    /// <summary>The format's name, as raw messages and exceptions record it.</summary>
    string Format { get; }

    /// <summary>Parses and maps the stored message again with the current mappings and master data.</summary>
    Task<(Inbound Inbound, MapResult Result)> RemapAsync(RawMessage raw, string receipt, CancellationToken ct);
}
