namespace Mesh.Registry.Auditing;

/// <summary>The audit log's vocabulary: what each entry says about one write call.</summary>
public static class AuditRecords
{
    /// <summary>The verdict of a change that was made.</summary>
    public const string Accepted = "ACCEPTED";

    /// <summary>The verdict of a write that was refused, with the status it got.</summary>
    public const string Refused = "REFUSED";

    /// <summary>The verdict of a registration whose content already was a version: nothing changed.</summary>
    public const string Unchanged = "UNCHANGED";

    /// <summary>The principal recorded when the caller presented no known token.</summary>
    public const string Unauthenticated = "(unauthenticated)";

    /// <summary>An entry of <paramref name="principal"/>'s <paramref name="action"/> (the RPC's name) on a subject id ("" for the registry config).</summary>
    public static AuditEntry Of(string principal, string action, string subject, int version, string verdict, string detail) => new()
    {
        Principal = principal,
        Action = action,
        Subject = subject.Length == 0 ? "" : ResourceNames.OfSubject(subject),
        Version = version,
        Verdict = verdict,
        Detail = detail,
    };
}

/// <summary>The registry's write RPCs: the ones that need the architect role and are audited.</summary>
public static class RegistryWrites
{
    /// <summary>The name of the resource a write request targets ("" for the registry config), or null when the request is not a write.</summary>
    public static string? TargetOf(object request) => request switch
    {
        CreateSchemaVersionRequest r => r.Parent,
        DeleteSchemaVersionRequest r => r.Name,
        UpdateSubjectRequest r => r.Subject?.Name ?? "",
        UpdateRegistryConfigRequest => "",
        _ => null,
    };

    /// <summary>The RPC's name, e.g. "CreateSchemaVersion", from the full method of a call.</summary>
    public static string ActionOf(ServerCallContext context) => context.Method[(context.Method.LastIndexOf('/') + 1)..];
}
