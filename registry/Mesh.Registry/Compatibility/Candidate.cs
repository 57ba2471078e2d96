using System.Security.Cryptography;
using Google.Protobuf.Reflection;
using Mesh.Contracts.Options.V1;

namespace Mesh.Registry.Compatibility;

/// <summary>
/// A descriptor set offered for registration, validated and reduced to what the registry stores:
/// the set with files in name order, the subject's own files, and a fingerprint of both.
/// </summary>
public sealed class Candidate
{
    private static readonly ExtensionRegistry MeshOptions =
    [
        OptionsExtensions.Classification, OptionsExtensions.Event, OptionsExtensions.FileOwner, OptionsExtensions.ServiceOwner,
    ];

    private Candidate(ByteString descriptorSet, IReadOnlyList<string> ownFiles, IReadOnlyList<FileDescriptor> files)
    {
        DescriptorSet = descriptorSet;
        OwnFiles = ownFiles;
        Files = files;
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData([.. descriptorSet, .. System.Text.Encoding.UTF8.GetBytes(string.Join('\n', ownFiles))]));
    }

    /// <summary>The canonical FileDescriptorSet bytes: files ordered by name, content untouched.</summary>
    public ByteString DescriptorSet { get; }

    /// <summary>
    /// The files that belong to the subject: those of every package that has a file no other file
    /// imports. Imports (google/*, mesh/options, ...) are carried but not judged.
    /// </summary>
    public IReadOnlyList<string> OwnFiles { get; }

    /// <summary>The built descriptors, own files and imports.</summary>
    public IReadOnlyList<FileDescriptor> Files { get; }

    /// <summary>SHA-256 of the canonical set and own-file list, lowercase hex.</summary>
    public string Fingerprint { get; }

    /// <summary>Parses and validates; bad input fails with INVALID_ARGUMENT naming the problem.</summary>
    public static Candidate Parse(ByteString bytes)
    {
        if (bytes.IsEmpty)
        {
            throw Invalid("file_descriptor_set is empty; send a serialized google.protobuf.FileDescriptorSet with its imports");
        }

        FileDescriptorSet set;
        try
        {
            set = FileDescriptorSet.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Invalid($"file_descriptor_set is not a serialized google.protobuf.FileDescriptorSet: {e.Message}");
        }

        if (set.File.Count == 0)
        {
            throw Invalid("file_descriptor_set holds no files");
        }

        var byName = new Dictionary<string, FileDescriptorProto>(StringComparer.Ordinal);
        foreach (var file in set.File)
        {
            if (string.IsNullOrEmpty(file.Name))
            {
                throw Invalid("file_descriptor_set has a file without a name");
            }

            if (!byName.TryAdd(file.Name, file))
            {
                throw Invalid($"file_descriptor_set holds '{file.Name}' twice");
            }
        }

        foreach (var file in set.File)
        {
            var missing = file.Dependency.FirstOrDefault(d => !byName.ContainsKey(d));
            if (missing is not null)
            {
                throw Invalid($"file_descriptor_set: '{file.Name}' imports '{missing}', which is not in the set; build it with imports (buf build --as-file-descriptor-set, or protoc --include_imports)");
            }
        }

        var ordered = TopologicalOrder(byName);
        IReadOnlyList<FileDescriptor> built;
        try
        {
            built = FileDescriptor.BuildFromByteStrings(ordered.Select(f => f.ToByteString()), MeshOptions);
        }
        catch (Exception e) when (e is DescriptorValidationException or ArgumentException or InvalidOperationException)
        {
            throw Invalid($"file_descriptor_set does not link: {e.Message}");
        }

        var canonical = new FileDescriptorSet();
        canonical.File.AddRange(byName.Values.OrderBy(f => f.Name, StringComparer.Ordinal));
        return new Candidate(canonical.ToByteString(), Buf.OwnFiles.Of(byName.Values), built);
    }

    /// <summary>The declared owner of the own files, from mesh.options.v1.file_owner, if any.</summary>
    public string? DeclaredOwner() =>
        Files.Where(f => OwnFiles.Contains(f.Name))
            .Select(f => f.GetOptions()?.GetExtension(OptionsExtensions.FileOwner)?.Team)
            .FirstOrDefault(team => !string.IsNullOrEmpty(team));

    /// <summary>Governance rules buf does not know: every message of an own "*_events.proto" file carries a full event taxonomy.</summary>
    public IEnumerable<Violation> GovernanceViolations()
    {
        foreach (var file in Files.Where(f => OwnFiles.Contains(f.Name) && f.Name.EndsWith("_events.proto", StringComparison.Ordinal)))
        {
            foreach (var message in file.MessageTypes)
            {
                var options = message.GetOptions();
                var taxonomy = options is not null && options.HasExtension(OptionsExtensions.Event) ? options.GetExtension(OptionsExtensions.Event) : null;
                if (taxonomy is null || taxonomy.Domain.Length == 0 || taxonomy.Entity.Length == 0 || taxonomy.Action.Length == 0)
                {
                    yield return new Violation
                    {
                        Rule = "MESH_EVENT_TAXONOMY_REQUIRED",
                        Kind = "governance",
                        Path = file.Name,
                        Message = $"Event message \"{message.FullName}\" must set option (mesh.options.v1.event) with domain, entity and action.",
                    };
                }
            }
        }
    }

    private static List<FileDescriptorProto> TopologicalOrder(Dictionary<string, FileDescriptorProto> byName)
    {
        var ordered = new List<FileDescriptorProto>(byName.Count);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal);
        void Visit(FileDescriptorProto file)
        {
            if (state.TryGetValue(file.Name, out var done))
            {
                if (!done)
                {
                    throw Invalid($"file_descriptor_set has an import cycle through '{file.Name}'");
                }

                return;
            }

            state[file.Name] = false;
            foreach (var dependency in file.Dependency)
            {
                Visit(byName[dependency]);
            }

            state[file.Name] = true;
            ordered.Add(file);
        }

        foreach (var file in byName.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            Visit(file);
        }

        return ordered;
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
