using System.Security.Claims;
using Mesh.Contracts.Options.V1;

namespace Mesh.Console.Operators;

/// <summary>
/// The signed-in operator: the name the audit trail records, the scopes of their token, and what the pages may not
/// show them. <c>operator</c> lets them use the console, <c>phi.read</c> and <c>pii.read</c> let them reveal patient
/// and personal data (the gateway's data scopes), which no page shows by default.
/// </summary>
public sealed record Operator(string Name, IReadOnlySet<string> Scopes)
{
    /// <summary>The scope every console user needs.</summary>
    public const string OperatorScope = "operator";

    /// <summary>The scope the workflows app asks of an operator who replays or dismisses a case.</summary>
    public const string OperateScope = "workflows.operate";

    /// <summary>The scope that shows protected health information.</summary>
    public const string PhiReadScope = "phi.read";

    /// <summary>The scope that shows personal information that is not health information.</summary>
    public const string PiiReadScope = "pii.read";

    /// <summary>The claim holding the scopes, separated by spaces (RFC 9068).</summary>
    public const string ScopeClaim = "scope";

    /// <summary>What every page clears before it renders a message, for every operator, until one reveals it.</summary>
    public static readonly IReadOnlySet<DataClassification> Protected = new HashSet<DataClassification> { DataClassification.Phi, DataClassification.Pii };

    /// <summary>The classifications this operator's scopes do not cover: never shown to them, even when they reveal.</summary>
    public IReadOnlySet<DataClassification> Withheld { get; } = new HashSet<DataClassification>(
        new[] { (PhiReadScope, DataClassification.Phi), (PiiReadScope, DataClassification.Pii) }.Where(s => !Scopes.Contains(s.Item1)).Select(s => s.Item2));

    /// <summary>True when the operator's scopes let them reveal some protected data.</summary>
    public bool MayReveal => Withheld.Count < Protected.Count;

    /// <summary>The operator of a signed-in principal.</summary>
    public static Operator Of(ClaimsPrincipal principal) => new(
        principal.Identity?.Name ?? throw new InvalidOperationException("nobody is signed in"),
        principal.FindAll(ScopeClaim).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal));
}
