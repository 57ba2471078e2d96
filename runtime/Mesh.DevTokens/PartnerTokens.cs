using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Mesh.DevTokens;

/// <summary>
/// Mints OAuth 2.0 access tokens as a client-credentials grant would issue them to a partner: <c>client_id</c> and
/// <c>sub</c> name the client, <c>scope</c> holds its scopes separated by spaces (RFC 9068).
/// </summary>
public static class PartnerTokens
{
    /// <summary>A signed JWT access token for <paramref name="clientId"/>.</summary>
    public static string Mint(
        SecurityKey signingKey, string clientId, IEnumerable<string> scopes, DateTimeOffset now, TimeSpan lifetime,
        string issuer = DevSigningKey.Issuer, string audience = DevSigningKey.Audience)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            TokenType = "at+jwt",
            Subject = new ClaimsIdentity([
                new Claim("client_id", clientId),
                new Claim("sub", clientId),
                new Claim("scope", string.Join(' ', scopes)),
                new Claim("jti", Guid.NewGuid().ToString("N")),
            ]),
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
