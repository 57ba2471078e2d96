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

            jwt.TokenValidationParameters = IssuerTrust.ValidationOf(options);
        });
        return services;
    }

    /// <summary>Why a token was refused, in words that quote nothing of it.</summary>
    public static string RefusalOf(Exception? failure) => IssuerTrust.RefusalOf(failure, "this gateway");
}
