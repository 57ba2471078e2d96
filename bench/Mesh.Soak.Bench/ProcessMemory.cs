using System.Globalization;

namespace Mesh.Soak.Bench;

/// <summary>The processes of a running mesh read from /proc: each one's name and resident memory (VmRSS).</summary>
internal static class ProcessMemory
{
    /// <summary>The resident memory in MiB of <paramref name="roots"/> and every process under them, by a readable name.</summary>
    public static SortedDictionary<string, double> Sample(IEnumerable<int> roots)
    {
        var parents = Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Select(pid => (Pid: pid, Parent: Field(pid, 1)))
            .Where(p => p.Parent > 0)
            .ToDictionary(p => p.Pid, p => p.Parent);
        var wanted = roots.ToHashSet();
        var sample = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var pid in parents.Keys.Where(pid => wanted.Contains(pid) || Descends(pid, wanted, parents)).Concat(wanted.Where(pid => !parents.ContainsKey(pid))))
        {
            if (ResidentKiB(pid) is { } kib)
            {
                var name = NameOf(pid);
                // Two processes of one name (e.g. two shells) are told apart by their pid.
                sample[sample.ContainsKey(name) ? $"{name} ({pid})" : name] = kib / 1024.0;
            }
        }

        return sample;
    }

    private static bool Descends(int pid, HashSet<int> roots, Dictionary<int, int> parents)
    {
        for (var at = pid; parents.TryGetValue(at, out var parent); at = parent)
        {
            if (roots.Contains(parent))
            {
                return true;
            }
        }

        return false;
    }

    // An app under `dotnet run` shows as its apphost (Mesh.Inventory); `dotnet run` itself by the folder it runs in.
    private static string NameOf(int pid)
    {
        var arguments = Read($"/proc/{pid}/cmdline")?.Split('\0', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (arguments.Length == 0)
        {
            return $"pid {pid}";
        }

        if (arguments.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) is { } assembly)
        {
            return Path.GetFileNameWithoutExtension(assembly);
        }

        if (Path.GetFileName(arguments[0]) == "dotnet" && arguments.Contains("run"))
        {
            return $"dotnet run ({Path.GetFileName(CurrentFolder(pid))})";
        }

        // redis-server shows its address in its title ("redis-server 127.0.0.1:6379").
        var program = Path.GetFileName(arguments[0].Split(' ')[0]);
        return program is "sh" or "dash" ? "mesh watchdog (sh)" : program;
    }

    private static string CurrentFolder(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static long? ResidentKiB(int pid) =>
        Read($"/proc/{pid}/status")?.Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)) is { } line
            ? long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)
            : null;

    // A field of /proc/<pid>/stat after the command name in parentheses (0: state, 1: parent).
    private static int Field(int pid, int index) =>
        Read($"/proc/{pid}/stat") is { } stat && int.TryParse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[index], CultureInfo.InvariantCulture, out var value) ? value : 0;

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
