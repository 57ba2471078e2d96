using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Runtime.Components;

namespace Mesh.Runtime.Security;

/// <summary>
/// The development secrets file of <c>mesh run</c>: when a <c>secretstores.local.file</c> store that components refer to
/// has no file yet, mesh writes one (owner-only) holding every secret they refer to: a fresh random AES-256 key (hex)
/// for each <c>primaryEncryptionKey</c> and <c>secondaryEncryptionKey</c>, and an empty value for anything else (a
/// Redis password: the local Redis has none). An existing file is never touched; the file belongs in a git-ignored
/// folder, and state written with its keys cannot be read without it.
/// </summary>
public static class DevSecrets
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the missing secrets files the components of one app refer to; returns the files written.</summary>
    /// <param name="components">The app's components, as loaded.</param>
    /// <param name="appDirectory">The app's folder: relative secret files are read from there, as daprd reads them.</param>
    public static IReadOnlyList<string> Ensure(IReadOnlyList<ComponentDefinition> components, string appDirectory)
    {
        var written = new List<string>();
        foreach (var store in components.Where(c => string.Equals(c.Type, LocalFileSecretStore.ComponentType, StringComparison.OrdinalIgnoreCase)))
        {
            var refs = components.Where(c => c.SecretStore == store.Name).SelectMany(c => c.SecretRefs).ToList();
            var (path, _, multiValued) = LocalFileSecretStore.Parse(store, appDirectory);
            if (refs.Count == 0 || File.Exists(path))
            {
                continue;
            }

            var secrets = new JsonObject();
            foreach (var (item, reference) in refs)
            {
                var value = item is StateEncryption.PrimaryKey or StateEncryption.SecondaryKey ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) : "";
                if (multiValued)
                {
                    var secret = secrets[reference.Name] as JsonObject ?? (JsonObject)(secrets[reference.Name] = new JsonObject());
                    secret[reference.EffectiveKey] ??= value;
                }
                else
                {
                    secrets[reference.Name] ??= value;
                }
            }

            if (Write(path, secrets.ToJsonString(Indented)))
            {
                written.Add(path);
            }
        }

        return written;
    }

    // CreateNew: when two runs start at once, one file wins and both read it.
    private static bool Write(string path, string json)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var file = new FileStream(path, options);
            using var writer = new StreamWriter(file);
            writer.Write(json);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }
}
