namespace Mesh.Registry.Storage;

/// <summary>A version as stored: its metadata (without the descriptor set) and its own files.</summary>
public sealed record StoredVersion(SchemaVersion Metadata, IReadOnlyList<string> OwnFiles);

/// <summary>The result of an atomic append.</summary>
public enum AppendOutcome
{
    /// <summary>The version was written.</summary>
    Appended,

    /// <summary>Another writer added a version first; re-read and check again.</summary>
    Conflict,
}

/// <summary>Change counters of a subject and of the registry defaults, for compare-and-write.</summary>
public sealed record Revisions(string Subject, string Config);
