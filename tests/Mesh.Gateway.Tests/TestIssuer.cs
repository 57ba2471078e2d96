using System.Security.Cryptography;
using System.Text;
using Mesh.DevTokens;
using Microsoft.IdentityModel.Tokens;

namespace Mesh.Gateway.Tests;

/// <summary>An OAuth issuer of the tests' own: an RSA key whose public half the gateway trusts through a JWKS file.</summary>
public sealed class TestIssuer : IDisposable
{
    public const string Issuer = "https://issuer.test/partners";
    public const string Audience = "mesh-gateway";

    private readonly RSA rsa = RSA.Create(2048);
    private readonly RSA stranger = RSA.Create(2048);

    public TestIssuer(string folder)
    {
        Key = new RsaSecurityKey(rsa) { KeyId = "test-key-1" };
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "test-key-1" });
        JwksFile = Path.Combine(folder, "jwks.json");
        File.WriteAllText(JwksFile, $$"""{"keys":[{"kty":"RSA","kid":"{{jwk.Kid}}","use":"sig","alg":"RS256","n":"{{jwk.N}}","e":"{{jwk.E}}"}]}""");
    }

    public RsaSecurityKey Key { get; }

    public string JwksFile { get; }

    /// <summary>A token of this issuer for <paramref name="client"/> with <paramref name="scopes"/>.</summary>
    public string Token(string client, params string[] scopes) =>
        PartnerTokens.Mint(Key, client, scopes, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10), Issuer, Audience);

    /// <summary>Tokens the gateway must refuse, by what is wrong with them.</summary>
    public string BadToken(string kind, string client, string scope) => kind switch
    {
        "expired" => PartnerTokens.Mint(Key, client, [scope], DateTimeOffset.UtcNow.AddHours(-2), TimeSpan.FromMinutes(10), Issuer, Audience),
        "wrong-issuer" => PartnerTokens.Mint(Key, client, [scope], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10), "https://evil.test", Audience),
        "wrong-audience" => PartnerTokens.Mint(Key, client, [scope], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10), Issuer, "another-api"),
        // Signed by another key under the trusted key's id.
        "wrong-signature" => PartnerTokens.Mint(new RsaSecurityKey(stranger) { KeyId = "test-key-1" }, client, [scope], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10), Issuer, Audience),
        "alg-none" => Unsigned(client, scope),
        "garbage" => "not-a-jwt",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public void Dispose()
    {
        rsa.Dispose();
        stranger.Dispose();
    }

    // The classic forgery: a token that says it needs no signature.
    private static string Unsigned(string client, string scope)
    {
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        var header = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes("""{"alg":"none","typ":"JWT"}"""));
        var payload = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(
            $$"""{"iss":"{{Issuer}}","aud":"{{Audience}}","client_id":"{{client}}","sub":"{{client}}","scope":"{{scope}}","exp":{{exp}}}"""));
        return $"{header}.{payload}.";
    }
}
