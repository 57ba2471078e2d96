using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Mesh.Registry.Buf;

namespace Mesh.Registry.Cli;

/// <summary>
/// The contracts to check or push, one descriptor set per proto package (the registry's default
/// subject rule: subject = package), each with its transitive imports.
/// </summary>
internal sealed class ContractImage
{
    private ContractImage(IReadOnlyDictionary<string, FileDescriptorProto> all, IReadOnlySet<string> own)
    {
        All = all;
        Own = own;
    }

    /// <summary>Every file, imports included, by name.</summary>
    public IReadOnlyDictionary<string, FileDescriptorProto> All { get; }

    /// <summary>The files of the module itself (not imports).</summary>
    public IReadOnlySet<string> Own { get; }

    /// <summary>Builds a buf module or workspace folder with buf, or reads an image / descriptor set file.</summary>
    public static async Task<ContractImage> LoadAsync(string input, IReadOnlyList<string> paths, string buf, CancellationToken cancellationToken)
    {
        if (File.Exists(input))
        {
            var set = FileDescriptorSet.Parser.ParseFrom(await File.ReadAllBytesAsync(input, cancellationToken));
            return new ContractImage(set.File.ToDictionary(f => f.Name), OwnFiles.Of(set.File).ToHashSet(StringComparer.Ordinal));
        }

        if (!Directory.Exists(input))
        {
            throw new ArgumentException($"'{input}' is neither a folder with a buf module nor an image file");
        }

        var full = await BuildAsync(buf, input, paths, excludeImports: false, cancellationToken);
        var own = await BuildAsync(buf, input, paths, excludeImports: true, cancellationToken);
        return new ContractImage(full.File.ToDictionary(f => f.Name), own.File.Select(f => f.Name).ToHashSet());
    }

    /// <summary>The packages of the module's own files, in order.</summary>
    public IEnumerable<string> Packages => Own.Select(f => All[f].Package).Distinct().Order(StringComparer.Ordinal);

    /// <summary>The descriptor set of one package: its files and everything they import, dependencies first.</summary>
    public ByteString DescriptorSetOf(string package)
    {
        var ordered = new List<FileDescriptorProto>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string name)
        {
            if (!seen.Add(name))
            {
                return;
            }

            foreach (var dependency in All[name].Dependency)
            {
                Visit(dependency);
            }

            ordered.Add(All[name]);
        }

        foreach (var name in Own.Where(f => All[f].Package == package).Order(StringComparer.Ordinal))
        {
            Visit(name);
        }

        var set = new FileDescriptorSet();
        set.File.AddRange(ordered);
        return set.ToByteString();
    }

    private static async Task<FileDescriptorSet> BuildAsync(string buf, string folder, IReadOnlyList<string> paths, bool excludeImports, CancellationToken cancellationToken)
    {
        var output = Path.Combine(Path.GetTempPath(), $"mesh-registry-{Guid.NewGuid():N}.binpb");
        var start = new ProcessStartInfo(buf) { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = folder };
        foreach (var argument in new[] { "build", ".", "--as-file-descriptor-set", "-o", output })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var path in paths)
        {
            start.ArgumentList.Add("--path");
            start.ArgumentList.Add(path);
        }

        if (excludeImports)
        {
            start.ArgumentList.Add("--exclude-imports");
        }

        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {buf}");
            var error = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode == 0
                ? FileDescriptorSet.Parser.ParseFrom(await File.ReadAllBytesAsync(output, cancellationToken))
                : throw new InvalidOperationException($"buf build {folder} failed: {error.Trim()}");
        }
        finally
        {
            File.Delete(output);
        }
    }
}
