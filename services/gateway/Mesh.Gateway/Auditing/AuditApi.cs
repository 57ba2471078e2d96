using Mesh.ServiceDefaults.Security;

namespace Mesh.Gateway.Auditing;

/// <summary>
/// The operators' read of the audit stream, on the gateway's admin listener (its Dapr app port), never on the partner
/// listener: <c>GET /admin/v1/audit?client=&amp;method=&amp;before=&amp;limit=</c>, newest first. Through the mesh:
/// <c>/v1.0/invoke/gateway/method/admin/v1/audit</c> on any sidecar, which brings the gateway's APP_API_TOKEN.
/// </summary>
public static class AuditApi
{
    /// <summary>The path of the audit read.</summary>
    public const string Path = "/admin/v1/audit";

    /// <summary>Maps the audit read.</summary>
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, async (AuditLog audit, string? client, string? method, string? before, int? limit) =>
        {
            if (limit is < 1 or > 1000)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: "limit must be 1 to 1000");
            }

            var entries = await audit.ReadAsync(before, limit ?? 100, client, method);
            return Results.Ok(new AuditPage(entries, entries.Count > 0 ? entries[^1].Id : ""));
        }).RequireSidecar();
        return endpoints;
    }

    /// <summary>One page of the audit log.</summary>
    /// <param name="Entries">The entries, newest first.</param>
    /// <param name="Before">The <c>before</c> of the next (older) page.</param>
    public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, string Before);
}
