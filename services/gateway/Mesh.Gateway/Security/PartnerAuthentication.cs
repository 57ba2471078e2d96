using Mesh.DevTokens;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Mesh.Gateway.Security;

/// <summary>
/// OAuth 2.0 bearer tokens (JWT access tokens) from the issuer the gateway trusts: an OpenID Connect authority, a
/// JWKS file with its issuer, or, in Development, the dev issuer of <c>mesh token</c>. Only asymmetric signatures are
/// accepted, so <c>alg: none</c> and HMAC tokens are refused whatever they claim.
/// </summary>
public static class PartnerAuthentication
{
    /// <summary>The authentication scheme.</summary>
    public const string Scheme = JwtBearerDefaults.AuthenticationScheme;

    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>Adds JWT bearer validation configured from <paramref name="options"/>.</summary>
    public static IServiceCollection AddPartnerAuthentication(this IServiceCollection services, GatewayOptions.AuthenticationOptions options)
    {
        services.AddAuthentication(Scheme).AddJwtBearer(Scheme, jwt =>
        {
            // Claim names as the token carries them (scope, client_id), not mapped to WS-* URIs.
            jwt.MapInboundClaims = false;
            if (options.Authority.Length > 0)
            {
                jwt.Authority = options.Authority;
            }

            var issuers = new List<string>();
            var keys = new List<SecurityKey>();
            if (options.Issuer.Length > 0)
            {
                issuers.Add(options.Issuer);
            }

            if (options.JwksFile.Length > 0)
            {
                keys.AddRange(new JsonWebKeySet(File.ReadAllText(options.JwksFile)).GetSigningKeys());
            }

            if (options.DevIssuer)
            {
                var path = options.DevKeyFile.Length > 0 ? options.DevKeyFile : DevSigningKey.DefaultPath();
                keys.Add(DevSigningKey.PublicOf(DevSigningKey.LoadOrCreate(path)));
                issuers.Add(DevSigningKey.Issuer);
            }

            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidAudience = options.Audience,
                ValidIssuers = issuers.Count > 0 ? issuers : null,
                IssuerSigningKeys = keys.Count > 0 ? keys : null,
                ValidAlgorithms = Algorithms,
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ValidateIssuerSigningKey = true,
                ClockSkew = TimeSpan.FromSeconds(30),
            };
        });
        return services;
    }

    /// <summary>Why a token was refused, in words that quote nothing of it.</summary>
    public static string RefusalOf(Exception? failure) => failure switch
    {
        null => "a bearer token is required (authorization: Bearer <token>)",
        SecurityTokenExpiredException => "the bearer token has expired",
        SecurityTokenNotYetValidException => "the bearer token is not valid yet",
        SecurityTokenInvalidIssuerException => "the bearer token's issuer is not trusted",
        SecurityTokenInvalidAudienceException => "the bearer token is not meant for this gateway (audience)",
        SecurityTokenInvalidAlgorithmException => "the bearer token's signing algorithm is not accepted",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the bearer token's signature does not verify",
        SecurityTokenNoExpirationException => "the bearer token has no expiry",
        _ => "the bearer token is not a valid access token",
    };
}
