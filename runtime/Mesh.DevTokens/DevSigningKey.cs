using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Mesh.DevTokens;

/// <summary>
/// The development issuer's RSA signing key: a JSON Web Key file generated at first use under the repository's
/// git-ignored <c>.mesh/</c> folder. <c>mesh token</c> signs with it and the gateway trusts it, in Development only.
/// Anyone with the repository can mint tokens with it, which is why nothing outside Development may trust it.
/// </summary>
public static class DevSigningKey
{
    /// <summary>The issuer (<c>iss</c>) of development tokens.</summary>
    public const string Issuer = "urn:mesh:dev-issuer";

    /// <summary>The audience (<c>aud</c>) of development tokens: the partner gateway.</summary>
    public const string Audience = "mesh-gateway";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// <c>.mesh/dev-issuer/signing-key.json</c> in the nearest folder above <paramref name="start"/> (the current
    /// directory when null) that holds <c>dapr.yaml</c>, so the CLI run from the repository root and the gateway run
    /// from its project folder find the same key; under <paramref name="start"/> itself when there is none.
    /// </summary>
    public static string DefaultPath(string? start = null)
    {
        var from = new DirectoryInfo(start ?? Directory.GetCurrentDirectory());
        for (var folder = from; folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "dapr.yaml")))
            {
                return Path.Combine(folder.FullName, ".mesh", "dev-issuer", "signing-key.json");
            }
        }

        return Path.Combine(from.FullName, ".mesh", "dev-issuer", "signing-key.json");
    }

    /// <summary>The key at <paramref name="path"/>, generated there first when the file does not exist yet.</summary>
    public static JsonWebKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using var rsa = RSA.Create(2048);
            var key = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: true)));
            key.Kid = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
            key.Alg = SecurityAlgorithms.RsaSha256;
            key.Use = "sig";
            try
            {
                // CreateNew: when the CLI and the gateway race at first use, one key wins and both read it.
                using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                JsonSerializer.Serialize(file, Serializable(key), Indented);
            }
            catch (IOException) when (File.Exists(path))
            {
                // The other one wrote it first.
            }
        }

        return new JsonWebKey(File.ReadAllText(path));
    }

    /// <summary>The public half of a key, for verifying tokens.</summary>
    public static JsonWebKey PublicOf(JsonWebKey key) => new()
    {
        Kty = key.Kty,
        N = key.N,
        E = key.E,
        Kid = key.Kid,
        Alg = key.Alg,
        Use = key.Use,
    };

    private static Dictionary<string, string> Serializable(JsonWebKey key) => new()
    {
        ["kty"] = key.Kty,
        ["kid"] = key.Kid,
        ["alg"] = key.Alg,
        ["use"] = key.Use,
        ["n"] = key.N,
        ["e"] = key.E,
        ["d"] = key.D,
        ["p"] = key.P,
        ["q"] = key.Q,
        ["dp"] = key.DP,
        ["dq"] = key.DQ,
        ["qi"] = key.QI,
    };
}
