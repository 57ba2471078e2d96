using System.Security.Claims;
using System.Text.RegularExpressions;
using Mesh.DevTokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Mesh.Console.Operators;

/// <summary>
/// Development sign-in: mints an operator token with the repository's dev issuer (the key <c>mesh token</c> and the
/// gateway share), validates it as any relying party would, and signs the operator in with a cookie holding its
/// claims and the token, which the console passes on the operator's actions.
/// </summary>
public sealed partial class DevSignIn(IOptions<ConsoleOptions> options, TimeProvider time)
{
    /// <summary>The scopes the sign-in page offers.</summary>
    public static readonly string[] OfferedScopes = [Operator.OperatorScope, Operator.OperateScope, Operator.PhiReadScope, Operator.PiiReadScope];

    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
    private readonly Lazy<JsonWebKey> key = new(() => DevSigningKey.LoadOrCreate(DevSigningKey.DefaultPath()));

    /// <summary>What an operator name may be, as said on the page.</summary>
    public const string NameRule = "1-64 letters, digits, '.', '_', '@' or '-'";

    [GeneratedRegex(@"\A[A-Za-z0-9._@-]{1,64}\z")]
    private static partial Regex NamePattern();

    /// <summary>True for a name an operator may sign in with.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Signs <paramref name="name"/> in with the offered scopes among <paramref name="scopes"/>.</summary>
    public async Task SignInAsync(HttpContext http, string name, IEnumerable<string> scopes)
    {
        var granted = scopes.Intersect(OfferedScopes, StringComparer.Ordinal).ToList();
        var token = PartnerTokens.Mint(key.Value, name, granted, time.GetUtcNow(), Lifetime, audience: options.Value.DevAudience);
        var validated = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = DevSigningKey.Issuer,
            ValidAudience = options.Value.DevAudience,
            IssuerSigningKey = DevSigningKey.PublicOf(key.Value),
            NameClaimType = "sub",
        });
        if (!validated.IsValid)
        {
            throw new InvalidOperationException("the dev issuer's own token did not validate", validated.Exception);
        }

        var identity = new ClaimsIdentity(validated.ClaimsIdentity.Claims, CookieAuthenticationDefaults.AuthenticationScheme, "sub", "role");
        var properties = new AuthenticationProperties();
        properties.StoreTokens([new AuthenticationToken { Name = "access_token", Value = token }]);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity), properties);
    }
}
