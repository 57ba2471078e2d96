using System.Net.Http.Json;

namespace Mesh.Scenarios;

/// <summary>The ERP stand-in's chaos switch (its admin API), over an HTTP client of the ERP: through a sidecar or on its port.</summary>
public static class ErpChaos
{
    /// <summary>Switches the ERP stand-in's chaos mode ("Normal", "Down", "Unavailable", "Throttle", "LoseReply", ...).</summary>
    public static async Task SetAsync(HttpClient erp, string mode, CancellationToken ct) =>
        (await erp.PutAsJsonAsync("/erp/admin/chaos", new { mode, delayMs = 0 }, ct)).EnsureSuccessStatusCode();

    /// <summary>
    /// Switches the ERP stand-in to <paramref name="mode"/> and waits until it has turned away <paramref name="requests"/>
    /// more of the mesh's requests in it (however fast they come), or <paramref name="patience"/> passed (TimeoutException).
    /// </summary>
    public static async Task TurnAwayAsync(HttpClient erp, string mode, int requests, TimeSpan patience, CancellationToken ct)
    {
        var target = await HitsAsync(erp, mode, ct) + requests;
        await SetAsync(erp, mode, ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(patience);
        while (await HitsAsync(erp, mode, ct) < target)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"the ERP met fewer than {requests} requests in {mode} mode within {patience}");
            }
        }
    }

    private static async Task<long> HitsAsync(HttpClient erp, string mode, CancellationToken ct) =>
        (await erp.GetFromJsonAsync<Dictionary<string, long>>("/erp/admin/chaos/hits", ct))![mode];
}
