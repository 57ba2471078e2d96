using System.Net.Http.Json;
using Mesh.Gateway.Auditing;

namespace Mesh.Gateway.Tests;

/// <summary>Reads the gateway's audit log through its admin API, as an operator does.</summary>
public static class Audit
{
    private static readonly System.Text.Json.JsonSerializerOptions Web = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>The newest entries, newest first.</summary>
    public static async Task<IReadOnlyList<AuditEntry>> ReadAsync(GatewayFixture fixture, string query = "limit=1000")
    {
        using var http = fixture.AdminThroughMesh();
        var page = await http.GetFromJsonAsync<AuditApi.AuditPage>($"{AuditApi.Path}?{query}", Web);
        return page!.Entries;
    }

    /// <summary>Waits until an entry matching <paramref name="match"/> is in the log (entries are written in the background).</summary>
    public static async Task<AuditEntry> WaitForAsync(GatewayFixture fixture, Func<AuditEntry, bool> match)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if ((await ReadAsync(fixture)).FirstOrDefault(match) is { } entry)
            {
                return entry;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no matching audit entry:\n{fixture.GatewayOutput}");
    }
}
