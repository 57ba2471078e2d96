using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapr.Client;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.ErpStandIn;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Finance.Tests;

/// <summary>
/// Real Redis, the embedded runtime's sidecars, the ERP stand-in as app "erp" (http) and the finance app, each hosted
/// through its own Program; finance reaches the ERP by Dapr service invocation through its own sidecar, and the
/// tests call finance by gRPC through a caller's sidecar. The ERP client's retry delays are shortened by
/// configuration (its total and attempt timeouts stay at the app's defaults, so a slow machine is not mistaken for a slow ERP).
/// </summary>
public sealed class FinanceFixture : IAsyncLifetime
{
    /// <summary>The GL account finance debits with consumed supplies here.</summary>
    public const string SuppliesExpenseAccount = "510200";

    /// <summary>The GL account finance credits with consumed supplies here.</summary>
    public const string InventoryAccount = "131000";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private TestMesh mesh = null!;
    private int journalPosts;
    private int answeredJournalPosts;

    public JournalEntryService.JournalEntryServiceClient Journal { get; private set; } = null!;

    /// <summary>Master data's cost centers; "costCenters/cc-4410" exists and is active.</summary>
    public CostCenterService.CostCenterServiceClient CostCenters { get; private set; } = null!;

    /// <summary>The ERP app itself, for its admin API and reads (not through the mesh: they are the test's controls).</summary>
    public HttpClient Erp { get; private set; } = null!;

    /// <summary>How many POST /erp/v1/journal-entries requests reached the ERP app, whatever the chaos switch made of them.</summary>
    public int JournalPosts => Volatile.Read(ref journalPosts);

    /// <summary>How many of <see cref="JournalPosts"/> the ERP app has finished answering (or dropping).</summary>
    public int AnsweredJournalPosts => Volatile.Read(ref answeredJournalPosts);

    /// <summary>The finance app's contract events (topic "finance.events"), once its outbox settled.</summary>
    public Task<List<System.Text.Json.Nodes.JsonObject>> EventsAsync() => OutboxEvents.SettledAsync(mesh, "finance");

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(
            InventoryToChargeApps.Erp(web => web.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new JournalPostObserver(this)))),
            InventoryToChargeApps.Finance(new Dictionary<string, string?>
            {
                ["Finance:ErpResilience:Retry:MaxRetryAttempts"] = "4",
                ["Finance:ErpResilience:Retry:Delay"] = "00:00:00.100",
                // Finance's own GL accounts for consumed supplies, other than the defaults, so a test sees them bound.
                ["Finance:SuppliesExpenseAccount"] = SuppliesExpenseAccount,
                ["Finance:InventoryAccount"] = InventoryAccount,
            }),
            // Master data, which finance asks whether a line's cost center exists and takes postings.
            InventoryToChargeApps.MasterData(),
            TestApp.Client("caller"));
        Journal = new JournalEntryService.JournalEntryServiceClient(DaprClient.CreateInvocationInvoker("finance", mesh.GrpcEndpointOf("caller")));
        CostCenters = new CostCenterService.CostCenterServiceClient(DaprClient.CreateInvocationInvoker("masterdata", mesh.GrpcEndpointOf("caller")));
        await CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest
        {
            CostCenterId = "cc-4410",
            CostCenter = new CostCenter { Code = "4410", CompanyCode = "1000", DisplayName = "Central Sterile Supply" },
        });
        Erp = new HttpClient { BaseAddress = mesh.AddressOf("erp"), Timeout = TimeSpan.FromSeconds(10) };
        // The test calls the ERP app directly, as its sidecar would: with the app's APP_API_TOKEN.
        Erp.DefaultRequestHeaders.Add("dapr-api-token", mesh.AppTokenOf("erp"));
    }

    public async Task SetChaosAsync(ChaosMode mode) =>
        (await Erp.PutAsJsonAsync("/erp/admin/chaos", new ChaosSettings(mode), Json)).EnsureSuccessStatusCode();

    public async Task<LedgerStats> StatsAsync() =>
        await Erp.GetFromJsonAsync<LedgerStats>("/erp/admin/stats", Json) ?? throw new InvalidOperationException("no stats");

    public async Task DisposeAsync()
    {
        Erp.Dispose();
        await mesh.DisposeAsync();
    }

    /// <summary>
    /// An observer in front of the stand-in, so tests can see attempts that chaos answers or drops: one count when an
    /// attempt arrives, one when it has been answered, so a test that flips the switch after an answer knows which
    /// setting that attempt met.
    /// </summary>
    private sealed class JournalPostObserver(FinanceFixture fixture) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                var isPost = HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/erp/v1/journal-entries");
                if (isPost)
                {
                    Interlocked.Increment(ref fixture.journalPosts);
                }

                try
                {
                    await nextMiddleware(context);
                }
                finally
                {
                    if (isPost)
                    {
                        Interlocked.Increment(ref fixture.answeredJournalPosts);
                    }
                }
            });
            next(app);
        };
    }
}

/// <summary>The finance tests share one fixture and run one at a time: the ERP's chaos switch and counters are shared.</summary>
[CollectionDefinition(Name)]
public sealed class FinanceCollection : ICollectionFixture<FinanceFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "finance";
}
