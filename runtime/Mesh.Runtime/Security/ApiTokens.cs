using System.Security.Cryptography;

namespace Mesh.Runtime.Security;

/// <summary>
/// The two tokens of a Dapr app (docs operations/security/api-token and app-api-token): DAPR_API_TOKEN, which the app's
/// calls to its sidecar carry, and APP_API_TOKEN, which the sidecar's calls to the app carry.
/// </summary>
/// <param name="DaprApiToken">DAPR_API_TOKEN.</param>
/// <param name="AppApiToken">APP_API_TOKEN.</param>
public sealed record ApiTokens(string DaprApiToken, string AppApiToken)
{
    /// <summary>The variable of the sidecar's token.</summary>
    public const string DaprApiTokenVariable = "DAPR_API_TOKEN";

    /// <summary>The variable of the app's token.</summary>
    public const string AppApiTokenVariable = "APP_API_TOKEN";

    /// <summary>A fresh token: 256 random bits, hex.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The tokens of one app of a run: each from the app's <c>env</c> in the run file when set there, else from this
    /// process's environment (daprd and the app inherit the Dapr CLI's, so one exported token serves every app), else
    /// new for this run.
    /// </summary>
    public static ApiTokens For(IReadOnlyDictionary<string, string> appEnvironment) =>
        new(Pick(appEnvironment, DaprApiTokenVariable), Pick(appEnvironment, AppApiTokenVariable));

    private static string Pick(IReadOnlyDictionary<string, string> appEnvironment, string variable) =>
        appEnvironment.TryGetValue(variable, out var given) && given.Length > 0 ? given
        : Environment.GetEnvironmentVariable(variable) is { Length: > 0 } inherited ? inherited
        : NewToken();
}
