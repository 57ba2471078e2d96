using System.Diagnostics;
using Google.Protobuf;
using Mesh.Registry.Buf;

namespace Mesh.Registry.Tests;

/// <summary>Compiles proto sources with the real buf into a FileDescriptorSet with imports.</summary>
internal static class ProtoSources
{
    public static string Buf => BufLocator.Locate("");

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "buf.yaml")) && Directory.Exists(Path.Combine(dir.FullName, "proto")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("repository root not found");
        }
    }

    /// <summary>A package "p.v1" file "p/v1/m.proto" with the given body after the package line.</summary>
    public static Task<ByteString> MessageAsync(string body, string package = "acme.orders.v1") =>
        BuildAsync(new Dictionary<string, string>
        {
            [$"{package.Replace('.', '/')}/{package.Split('.')[^2]}.proto"] = $"syntax = \"proto3\";\n\npackage {package};\n\n{body}\n",
        });

    public static async Task<ByteString> BuildAsync(IReadOnlyDictionary<string, string> files)
    {
        var folder = Directory.CreateTempSubdirectory("mesh-proto-").FullName;
        try
        {
            foreach (var (path, content) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, path))!);
                await File.WriteAllTextAsync(Path.Combine(folder, path), content);
            }

            return await RunBufBuildAsync(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public static async Task<ByteString> RunBufBuildAsync(string folder, params string[] extra)
    {
        var output = Path.Combine(Path.GetTempPath(), $"mesh-test-{Guid.NewGuid():N}.binpb");
        var start = new ProcessStartInfo(Buf) { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "build", ".", "--as-file-descriptor-set", "-o", output }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        try
        {
            return process.ExitCode == 0 ? ByteString.CopyFrom(await File.ReadAllBytesAsync(output)) : throw new InvalidOperationException(error);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
