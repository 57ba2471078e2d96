using System.Runtime.InteropServices;

namespace Mesh.Registry.Buf;

/// <summary>Finds the buf binary, for the registry and its CLI alike.</summary>
public static class BufLocator
{
    private static readonly string FileName = OperatingSystem.IsWindows() ? "buf.exe" : "buf";

    /// <summary>
    /// The configured path, else the native binary the npm package @bufbuild/buf installs (found by
    /// walking up from the app and the working directory), else "buf" on PATH.
    /// </summary>
    public static string Locate(string configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"the buf binary '{configured}' does not exist");
        }

        return FromNodeModules() ?? "buf";
    }

    /// <summary>
    /// The full path of the binary <see cref="Locate"/> would pick, with "buf" on PATH resolved; null when there is
    /// none (the configured file does not exist, or nothing is installed).
    /// </summary>
    public static string? Find(string configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }

        return FromNodeModules() ?? (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, FileName))
            .FirstOrDefault(File.Exists);
    }

    private static string? FromNodeModules()
    {
        var os = OperatingSystem.IsWindows() ? "win32" : OperatingSystem.IsMacOS() ? "darwin" : "linux";
        var arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "x64";
        var relative = Path.Combine("node_modules", "@bufbuild", $"buf-{os}-{arch}", "bin", FileName);
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
