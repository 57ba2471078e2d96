extern alias registry;

using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Mesh.Console.Tests;

/// <summary>
/// The operations console on real parts: redis-server, a sidecar per app, the inventory-to-charge services, the
/// procurement app, the workflows app and the registry hosted here through their own Program, the console as a real process in Development
/// behind its sidecar, and headless Chromium (Debian's) driven by Playwright. Tests seed and feed the mesh as the demo does,
/// through the sidecar of "clinic".
/// </summary>
public sealed class ConsoleMesh : IAsyncLifetime
{
    /// <summary>Debian's chromium package, which <c>.ci/run</c> installs when missing.</summary>
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>The registry token of architects, who register versions.</summary>
    public const string ArchitectToken = "console-tests-architect";

    private const string ReaderToken = "console-tests-reader";

    private TestMesh mesh = null!;
    private IPlaywright playwright = null!;

    /// <summary>Clients of the mesh through the clinic's sidecar.</summary>
    public MeshClients Clients { get; private set; } = null!;

    /// <summary>The scenario runner over <see cref="Clients"/>.</summary>
    public InventoryToChargeScenario Scenario { get; private set; } = null!;

    /// <summary>The procure-to-pay scenario runner over <see cref="Clients"/>.</summary>
    public ProcureToPayScenario Purchasing { get; private set; } = null!;

    /// <summary>The console's home page.</summary>
    public string BaseUrl => mesh.AddressOf("console").ToString();

    /// <summary>How long a requisition waits for its approver before it shows on the stalled page.</summary>
    public TimeSpan StalledAfter { get; } = TimeSpan.FromHours(8);

    /// <summary>The workflows app's clock, which its stalled-case view reads; the workflow engine's timers stay on the real clock.</summary>
    /// <remarks>It starts at the real time, so the case timestamps it stamps stay beside the other apps'.</remarks>
    public FakeTimeProvider WorkflowsClock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The CloudEvents published on <paramref name="topic"/> so far.</summary>
    public Task<List<System.Text.Json.Nodes.JsonNode>> PublishedAsync(string topic) => mesh.PublishedAsync(topic);

    public async Task InitializeAsync()
    {
        // The ERP client and the saga give up quickly, so a case parks in seconds while the ERP is down.
        mesh = await TestMesh.StartAsync(
        [
            .. InventoryToChargeApps.Services(new Dictionary<string, string?>
            {
                ["Finance:ErpResilience:TotalRequestTimeout:Timeout"] = "00:00:01",
                ["Finance:ErpResilience:AttemptTimeout:Timeout"] = "00:00:00.500",
                ["Finance:ErpResilience:Retry:Delay"] = "00:00:00.050",
            }),
            InventoryToChargeApps.Procurement(),
            InventoryToChargeApps.Workflows(new Dictionary<string, string?>
            {
                ["Workflows:PostingAttempts"] = "2",
                ["Workflows:FirstRetryInterval"] = "00:00:00.100",
                ["Workflows:MaxRetryInterval"] = "00:00:00.200",
                ["Workflows:ProcureToPay:StalledAfter"] = StalledAfter.ToString(),
            }, WorkflowsClock),
            TestApp.Client("clinic"),
        ]);
        await mesh.AddAppAsync(TestApp.InProcess<registry::Program>("registry", "grpc", RegistrySettings(mesh.Redis.ConnectionString)));
        await mesh.AddAppAsync(TestApp.Process("console", "http", Repository.BuiltAssembly("services/console/Mesh.Console", "Mesh.Console"), new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Console:RegistryToken"] = ReaderToken,
            ["Console:SloFile"] = Path.Combine(Repository.Root, "observability", "slo.yaml"),
        }));
        Clients = new MeshClients(mesh.GrpcEndpointOf("clinic"), mesh.HttpEndpointOf("clinic"));
        Scenario = new InventoryToChargeScenario(Clients);
        Purchasing = new ProcureToPayScenario(Clients);
        await Purchasing.SeedAsync(CancellationToken.None);

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
    }

    // The registry's appsettings.json, which in-process hosts do not read, with the tests' tokens.
    private static Dictionary<string, string?> RegistrySettings(string redis) => new()
    {
        ["ConnectionStrings:registry"] = redis,
        ["Registry:MaxDescriptorSetBytes"] = "4194304",
        ["Registry:Defaults:Compatibility"] = "Backward",
        ["Registry:Defaults:RuleCategory"] = "File",
        ["Registry:Defaults:LintEnabled"] = "true",
        ["Registry:Defaults:LintUse:0"] = "STANDARD",
        ["Registry:Auth:Tokens:0:Token"] = ArchitectToken,
        ["Registry:Auth:Tokens:0:Principal"] = "ana-architect",
        ["Registry:Auth:Tokens:0:Roles:0"] = "architect",
        ["Registry:Auth:Tokens:1:Token"] = ReaderToken,
        ["Registry:Auth:Tokens:1:Principal"] = "console",
    };

    /// <summary>The registry, through the clinic's sidecar.</summary>
    public Mesh.Contracts.Registry.V1.RegistryService.RegistryServiceClient Registry =>
        new(Dapr.Client.DaprClient.CreateInvocationInvoker("registry", mesh.GrpcEndpointOf("clinic")));

    /// <summary>A new browser session signed in through the dev sign-in page as <paramref name="name"/> with <paramref name="scopes"/>.</summary>
    public async Task<IPage> SignInAsync(string name, params string[] scopes)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Operator" }).FillAsync(name);
        foreach (var offered in new[] { "operator", "workflows.operate", "phi.read", "pii.read" })
        {
            await page.GetByRole(AriaRole.Checkbox, new() { Name = offered, Exact = true }).SetCheckedAsync(scopes.Contains(offered));
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#operator")).ToHaveTextAsync(name);
        return page;
    }

    /// <summary>
    /// Runs one requisition of one line through procure-to-pay with its invoice 10% above the agreed price, and returns
    /// its case once on the exception queue for the hold.
    /// </summary>
    public async Task<Case> HeldRequisitionAsync()
    {
        var spec = new ProcureToPaySpec(Requisitions: 1, Rejected: 0, Partial: 0, PriceMismatch: 1, Duplicates: 0, Locations: 1);
        var runId = Guid.NewGuid().ToString("N")[..8];
        // One line, so one order and one invoice on hold.
        var index = Enumerable.Range(0, 100).First(i => ProcureToPayScenario.RequisitionOf(i, runId, spec).Requisition.Lines.Count == 1);
        var record = await Purchasing.RunAsync(index, runId, spec, TimeSpan.FromSeconds(60), CancellationToken.None);
        return Assert.Single(await Purchasing.AwaitSettledAsync([record], TimeSpan.FromSeconds(90), CancellationToken.None));
    }

    /// <summary>Switches the ERP stand-in's chaos mode ("Normal", "Down", ...).</summary>
    public Task SetErpAsync(string mode) => Clients.SetErpChaosAsync(mode, CancellationToken.None);

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        playwright.Dispose();
        Clients.Dispose();
        await mesh.DisposeAsync();
    }
}
