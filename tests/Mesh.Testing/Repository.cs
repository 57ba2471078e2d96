namespace Mesh.Testing;

/// <summary>The repository the tests run from, and what its build produced.</summary>
public static class Repository
{
    /// <summary>The repository's root folder (the one holding Mesh.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration the tests were built in (Release under `dotnet test Mesh.sln -c Release`).</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>
    /// The built assembly of a project, e.g. ("services/erp-standin/Mesh.ErpStandIn", "Mesh.ErpStandIn"), in the
    /// configuration the tests were built in.
    /// </summary>
    public static string BuiltAssembly(string projectFolder, string assemblyName)
    {
        // Tests run from tests/<project>/bin/<configuration>/<tfm>/.
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        return Path.Combine(Root, projectFolder, "bin", output.Parent!.Name, output.Name, assemblyName + ".dll");
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Mesh.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Mesh.sln above {AppContext.BaseDirectory}");
    }
}
