namespace Mesh.Cli;

/// <summary>A plug-in of mesh: an executable <c>mesh-&lt;verb&gt;</c>, or a <c>mesh-&lt;verb&gt;.dll</c> beside mesh run by dotnet.</summary>
/// <param name="Verb">The verb it adds, e.g. "demo" for mesh-demo.</param>
/// <param name="Program">What to start.</param>
/// <param name="Arguments">The arguments that come before the user's (the .dll for dotnet).</param>
internal sealed record Plugin(string Verb, string Program, IReadOnlyList<string> Arguments);

/// <summary>
/// Where mesh looks for plug-ins, as git looks for git-&lt;verb&gt; and dotnet for dotnet-&lt;verb&gt;: beside mesh itself
/// (where the repository's build puts them, and where `dotnet tool install` puts tools), then each folder of PATH.
/// mesh knows no plug-in by name: any verb that is not its own is looked up here.
/// </summary>
internal sealed class Plugins(IReadOnlyList<string> folders)
{
    private const string Prefix = "mesh-";

    /// <summary>mesh's own folder, then PATH.</summary>
    public static Plugins Default { get; } = new(
    [
        AppContext.BaseDirectory,
        .. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries),
    ]);

    /// <summary>The folder mesh runs from, named in messages.</summary>
    public string Home => folders.Count > 0 ? folders[0] : AppContext.BaseDirectory;

    /// <summary>The first plug-in for <paramref name="verb"/>, or null.</summary>
    public Plugin? Find(string verb) => folders.Select(folder => At(folder, verb)).FirstOrDefault(plugin => plugin is not null);

    /// <summary>Every verb a plug-in adds, with the first plug-in for it.</summary>
    public IEnumerable<Plugin> All()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in folders.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(folder, Prefix + "*"))
            {
                var verb = Path.GetFileNameWithoutExtension(file)[Prefix.Length..];
                if (verb.Length > 0 && !seen.Contains(verb) && At(folder, verb) is { } plugin)
                {
                    seen.Add(verb);
                    yield return plugin;
                }
            }
        }
    }

    private static Plugin? At(string folder, string verb)
    {
        var executable = Path.Combine(folder, Prefix + verb + (OperatingSystem.IsWindows() ? ".exe" : ""));
        if (File.Exists(executable) && IsExecutable(executable))
        {
            return new Plugin(verb, executable, []);
        }

        // A framework-dependent build without its native launcher; only beside mesh, where it was built with it.
        var assembly = Path.Combine(folder, Prefix + verb + ".dll");
        return folder == AppContext.BaseDirectory && File.Exists(assembly) && File.Exists(Path.ChangeExtension(assembly, ".runtimeconfig.json"))
            ? new Plugin(verb, "dotnet", [assembly])
            : null;
    }

    private static bool IsExecutable(string file) =>
        OperatingSystem.IsWindows() || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
