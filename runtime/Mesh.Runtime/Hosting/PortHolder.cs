using System.Globalization;

namespace Mesh.Runtime.Hosting;

/// <summary>
/// Which process listens on a local TCP port, from /proc (Linux): the listening socket's inode in /proc/net/tcp(6),
/// then the process holding that socket among /proc/&lt;pid&gt;/fd. So "port taken" can name the process, e.g. an app
/// left over from a mesh run that did not stop it.
/// </summary>
internal static class PortHolder
{
    private const string Listening = "0A";

    /// <summary>"pid 1234, Mesh.Inventory" for the process listening on <paramref name="port"/>; null when it cannot be told (not Linux, not ours to see).</summary>
    public static string? Describe(int port)
    {
        if (!OperatingSystem.IsLinux() || ListeningInodes(port).ToHashSet() is not { Count: > 0 } inodes)
        {
            return null;
        }

        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && HoldsAny(folder, inodes))
            {
                return $"pid {pid}, {ProgramOf(folder)}";
            }
        }

        return null;
    }

    // Lines of /proc/net/tcp: "sl local_address rem_address st ... uid timeout inode", addresses as HEXIP:HEXPORT.
    private static IEnumerable<string> ListeningInodes(int port)
    {
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == Listening
                    && int.TryParse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var local) && local == port)
                {
                    yield return $"socket:[{fields[9]}]";
                }
            }
        }
    }

    private static bool HoldsAny(string process, HashSet<string> sockets)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(Path.Combine(process, "fd"))
                .Any(fd => new FileInfo(fd).LinkTarget is { } target && sockets.Contains(target));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another user's process, or one that just ended.
            return false;
        }
    }

    // An app under `dotnet run` is its apphost (Mesh.Inventory) or `dotnet Mesh.Inventory.dll`.
    private static string ProgramOf(string process)
    {
        var arguments = string.Join('\n', ReadLines(Path.Combine(process, "cmdline"))).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return arguments.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) is { } assembly
            ? Path.GetFileNameWithoutExtension(assembly)
            : arguments.Length > 0 ? Path.GetFileName(arguments[0]) : "?";
    }

    private static IEnumerable<string> ReadLines(string file)
    {
        try
        {
            return File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
