namespace Mesh.Runtime.Tests.Configuration;

/// <summary>A temporary folder for files under test, removed on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    /// <summary>The folder's absolute path.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory("mesh-config-").FullName;

    /// <summary>Writes <paramref name="text"/> to a file (creating its folders) and returns its absolute path.</summary>
    public string Write(string relativePath, string text)
    {
        var file = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, text);
        return file;
    }

    /// <summary>Creates a folder and returns its absolute path.</summary>
    public string Folder(string relativePath) => Directory.CreateDirectory(System.IO.Path.Combine(Path, relativePath)).FullName;

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
