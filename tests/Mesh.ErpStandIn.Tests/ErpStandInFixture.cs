using System.Net.Http.Json;
using Mesh.Testing;

namespace Mesh.ErpStandIn.Tests;

/// <summary>
/// The ERP stand-in as a real process (app "erp", http) behind its sidecar on real Redis, as <c>mesh run</c> runs it:
/// its ledger and order book are in the state store. The tests call the app directly, as its sidecar would (with its
/// APP_API_TOKEN), and can restart its process.
/// </summary>
public sealed class ErpStandInFixture : IAsyncLifetime
{
    private TestMesh mesh = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(TestApp.Process("erp", "http", Repository.BuiltAssembly("services/erp-standin/Mesh.ErpStandIn", "Mesh.ErpStandIn")));
        Http = new HttpClient { BaseAddress = mesh.AddressOf("erp"), Timeout = TimeSpan.FromSeconds(10) };
        Http.DefaultRequestHeaders.Add("dapr-api-token", mesh.AppTokenOf("erp"));
    }

    public async Task SetChaosAsync(string mode, int delayMs = 0) =>
        (await Http.PutAsJsonAsync("/erp/admin/chaos", new { mode, delayMs })).EnsureSuccessStatusCode();

    /// <summary>A balanced journal entry of <paramref name="amount"/> cents with <paramref name="reference"/>.</summary>
    public static object Entry(string reference, long amount = 385) => new
    {
        companyCode = "1000",
        accountingDate = "2026-11-25",
        reference,
        lines = new object[]
        {
            new { account = "510100", costCenter = "7100", debit = new { currency = "USD", minor = amount } },
            new { account = "140000", credit = new { currency = "USD", minor = amount } },
        },
    };

    /// <summary>POSTs <paramref name="body"/> to <paramref name="path"/> with <paramref name="key"/> as its Idempotency-Key.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return Http.SendAsync(request);
    }

    /// <summary>Stops the stand-in's process and starts it again on its port, behind the same sidecar and store.</summary>
    public Task RestartAsync() => mesh.RestartAppAsync("erp");

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await mesh.DisposeAsync();
    }
}
