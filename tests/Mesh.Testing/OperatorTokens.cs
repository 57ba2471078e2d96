using Mesh.DevTokens;

namespace Mesh.Testing;

/// <summary>
/// Operator tokens of the repository's dev issuer for the workflows app (audience mesh-workflows), as the console's dev
/// sign-in mints them; the workflows app trusts them in Development, as every test hosts it.
/// </summary>
public static class OperatorTokens
{
    /// <summary>The workflows app's audience.</summary>
    public const string Audience = "mesh-workflows";

    /// <summary>The scope replay and dismiss need.</summary>
    public const string OperateScope = "workflows.operate";

    /// <summary>A token for <paramref name="subject"/> with <paramref name="scopes"/> (<see cref="OperateScope"/> when none are given), valid for an hour.</summary>
    public static string Mint(string subject, params string[] scopes) => MintFor(Audience, subject, scopes);

    /// <summary>A token for <paramref name="subject"/> with <paramref name="scopes"/> for <paramref name="audience"/>.</summary>
    public static string MintFor(string audience, string subject, params string[] scopes) =>
        PartnerTokens.Mint(
            DevSigningKey.LoadOrCreate(DevSigningKey.DefaultPath()), subject, scopes.Length > 0 ? scopes : [OperateScope],
            TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(1), audience: audience);
}
