using Google.Protobuf.Reflection;

namespace Mesh.Registry.Buf;

/// <summary>
/// Which files of a descriptor set are its own rather than imports, when no buf image marks them: the files
/// of every package that has a file no other file imports. The registry judges only these, and the CLI splits
/// a descriptor-set file into subjects by the same rule.
/// </summary>
public static class OwnFiles
{
    /// <summary>The own file names, in ordinal order.</summary>
    public static List<string> Of(IReadOnlyCollection<FileDescriptorProto> files)
    {
        var imported = files.SelectMany(f => f.Dependency).ToHashSet(StringComparer.Ordinal);
        var rootPackages = files.Where(f => !imported.Contains(f.Name)).Select(f => f.Package).ToHashSet(StringComparer.Ordinal);
        return files.Where(f => rootPackages.Contains(f.Package)).Select(f => f.Name).Order(StringComparer.Ordinal).ToList();
    }
}
