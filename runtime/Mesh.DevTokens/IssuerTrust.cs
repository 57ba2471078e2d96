using Microsoft.IdentityModel.Tokens;

namespace Mesh.DevTokens;

/// <summary>
/// Whom an app trusts to issue the bearer tokens it accepts (the gateway's partners, the workflows app's operators): an
/// OpenID Connect authority, a JWKS file with its issuer, or, in Development only, the dev issuer of <c>mesh token</c>
/// and the console's dev sign-in.
/// </summary>
public class IssuerTrustOptions
{
    /// <summary>An OpenID Connect issuer whose discovery document and JWKS the app reads, e.g. https://login.example.com/tenant.</summary>
    public string Authority { get; set; } = "";

    /// <summary>The expected <c>iss</c> of tokens verified with <see cref="JwksFile"/>.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>A JSON Web Key Set file with the issuer's public keys, for issuers the app cannot reach.</summary>
    public string JwksFile { get; set; } = "";

    /// <summary>The expected <c>aud</c> of every token: this app.</summary>
    public string Audience { get; set; } = "";

    /// <summary>Trust tokens signed by the repository's dev key. Development only.</summary>
    public bool DevIssuer { get; set; }

    /// <summary>The dev key file; the repository's <c>.mesh/dev-issuer/signing-key.json</c> when empty.</summary>
    public string DevKeyFile { get; set; } = "";
}

/// <summary>The checks and token validation shared by every app that accepts bearer tokens.</summary>
public static class IssuerTrust
{
    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>
    /// Why the app must not start with these settings, or null: dev trust outside Development, no issuer at all, a JWKS
    /// file without its issuer or missing, no audience.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <param name="section">Their configuration section, e.g. "Gateway:Authentication".</param>
    /// <param name="app">What the audience names, e.g. "this gateway".</param>
    /// <param name="environment">The host's environment name.</param>
    public static string? ProblemOf(IssuerTrustOptions options, string section, string app, string environment)
    {
        var development = string.Equals(environment, "Development", StringComparison.OrdinalIgnoreCase);
        return options switch
        {
            { DevIssuer: true } when !development =>
                $"{section}:DevIssuer trusts the repository's dev key, which anyone can mint tokens with; it is accepted only when " +
                $"ASPNETCORE_ENVIRONMENT is Development (it is {environment}): set Authority or JwksFile and Issuer instead",
            { DevKeyFile.Length: > 0 } when !development =>
                $"{section}:DevKeyFile names a dev signing key, accepted only when ASPNETCORE_ENVIRONMENT is Development (it is {environment})",
            { DevIssuer: false, Authority.Length: 0, JwksFile.Length: 0 } =>
                $"{section} trusts no issuer: set Authority, or JwksFile with Issuer (or DevIssuer in Development)",
            { JwksFile.Length: > 0, Issuer.Length: 0 } => $"{section}:JwksFile needs {section}:Issuer, the iss its tokens carry",
            { JwksFile.Length: > 0 } when !File.Exists(options.JwksFile) => $"{section}:JwksFile: {options.JwksFile} does not exist",
            { Audience.Length: 0 } => $"{section}:Audience must name {app}",
            _ => null,
        };
    }

    /// <summary>
    /// How tokens are validated: the configured issuers and keys (the dev key's public half when trusted), only
    /// asymmetric signatures (so <c>alg: none</c> and HMAC tokens are refused whatever they claim), an expiry required.
    /// The authority's keys come from its discovery document, which the JWT bearer handler reads.
    /// </summary>
    public static TokenValidationParameters ValidationOf(IssuerTrustOptions options)
    {
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

        return new TokenValidationParameters
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
    }

    /// <summary>Why a token was refused, in words that quote nothing of it.</summary>
    /// <param name="failure">The validation failure; null when no token came.</param>
    /// <param name="app">What the audience names, e.g. "this gateway".</param>
    public static string RefusalOf(Exception? failure, string app) => failure switch
    {
        null => "a bearer token is required (authorization: Bearer <token>)",
        SecurityTokenExpiredException => "the bearer token has expired",
        SecurityTokenNotYetValidException => "the bearer token is not valid yet",
        SecurityTokenInvalidIssuerException => "the bearer token's issuer is not trusted",
        SecurityTokenInvalidAudienceException => $"the bearer token is not meant for {app} (audience)",
        SecurityTokenInvalidAlgorithmException => "the bearer token's signing algorithm is not accepted",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the bearer token's signature does not verify",
        SecurityTokenNoExpirationException => "the bearer token has no expiry",
        _ => "the bearer token is not a valid access token",
    };
}
