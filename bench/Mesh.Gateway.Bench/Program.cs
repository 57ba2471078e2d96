// Gateway overhead, against a baseline measured in the same run: an authorised unary GetItem through the partner
// gateway (token check, scope, Redis token bucket, forwarding through its sidecar, projection, audit) vs the same
// call through master data's sidecar directly, as an internal service makes it. Calls/s at a fixed concurrency and
// the added p50/p99, over interleaved rounds.
// Run: dotnet build Mesh.sln -c Release && dotnet run -c Release --project bench/Mesh.Gateway.Bench [-- calls concurrency rounds]
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Dapr.Client;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.MasterData.V1;
using Mesh.DevTokens;
using Mesh.Runtime;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Microsoft.IdentityModel.Tokens;

var calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
var roundCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
const string Issuer = "https://issuer.bench/partners";

await using var mesh = await TestMesh.StartAsync(InventoryToChargeApps.MasterData(), TestApp.Client("caller"));
var direct = new ItemService.ItemServiceClient(DaprClient.CreateInvocationInvoker("masterdata", mesh.GrpcEndpointOf("caller")));
var item = await direct.CreateItemAsync(new CreateItemRequest { Item = new Item { Description = "Gauze 4x4", StockingUnit = "EA", Gtin = "10705031012349" } });

// The partner's issuer: a key of this run, trusted by the gateway through a JWKS file.
var folder = Directory.CreateTempSubdirectory("mesh-gateway-bench-").FullName;
using var rsa = RSA.Create(2048);
var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "bench" });
var jwks = Path.Combine(folder, "jwks.json");
await File.WriteAllTextAsync(jwks, $$"""{"keys":[{"kty":"RSA","kid":"bench","use":"sig","alg":"RS256","n":"{{jwk.N}}","e":"{{jwk.E}}"}]}""");
var token = PartnerTokens.Mint(new RsaSecurityKey(rsa) { KeyId = "bench" }, "bench-partner", ["masterdata.items.read"], TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(1), Issuer);

var partnerPort = LoopbackPorts.Free();
await mesh.AddAppAsync(EdgeApps.Gateway(new Dictionary<string, string?>
{
    ["ASPNETCORE_ENVIRONMENT"] = "Production",
    ["Logging:LogLevel:Default"] = "Warning",
    ["ConnectionStrings:gateway"] = mesh.Redis.ConnectionString,
    ["Kestrel:Endpoints:Partner:Url"] = $"http://127.0.0.1:{partnerPort}",
    ["Gateway:Authentication:Issuer"] = Issuer,
    ["Gateway:Authentication:JwksFile"] = jwks,
    ["Gateway:Clients:bench-partner:DisplayName"] = "bench",
    // The limit is not what is measured: a bucket no run empties.
    ["Gateway:Clients:bench-partner:RateLimit:PermitsPerSecond"] = "1000000",
    ["Gateway:Clients:bench-partner:RateLimit:Burst"] = "1000000",
}));
using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{partnerPort}");
var throughGateway = new ItemService.ItemServiceClient(channel);
var bearer = new Metadata { { "authorization", $"Bearer {token}" } };

var request = new GetItemRequest { Name = item.Name };
Task<Item> Direct() => direct.GetItemAsync(request).ResponseAsync;
Task<Item> Gateway() => throughGateway.GetItemAsync(request, bearer).ResponseAsync;
await MeasureAsync(Direct, 500, concurrency);   // warm-up both paths
await MeasureAsync(Gateway, 500, concurrency);

var rounds = new List<(Run Direct, Run Gateway)>();
for (var round = 0; round < roundCount; round++)
{
    rounds.Add((await MeasureAsync(Direct, calls, concurrency), await MeasureAsync(Gateway, calls, concurrency)));
}

double Median(Func<(Run Direct, Run Gateway), double> pick) => rounds.Select(pick).Order().ElementAt(rounds.Count / 2);
var (dRate, gRate) = (Median(r => r.Direct.PerSecond), Median(r => r.Gateway.PerSecond));
var (dp50, dp99, gp50, gp99) = (Median(r => r.Direct.P50), Median(r => r.Direct.P99), Median(r => r.Gateway.P50), Median(r => r.Gateway.P99));
Console.WriteLine($"GetItem, {calls} calls at concurrency {concurrency}, {roundCount} interleaved rounds, medians:");
Console.WriteLine($"  via masterdata's sidecar   {dRate,8:F0} calls/s  p50 {dp50:F3} ms  p99 {dp99:F3} ms");
Console.WriteLine($"  through the gateway        {gRate,8:F0} calls/s  p50 {gp50:F3} ms  p99 {gp99:F3} ms");
Console.WriteLine($"  gateway/direct throughput  {gRate / dRate:P1}; added p50 {gp50 - dp50:F3} ms, p99 {gp99 - dp99:F3} ms");
Console.WriteLine($"  per round (direct calls/s p50/p99 | gateway calls/s p50/p99): {string.Join("; ", rounds.Select(r => $"{r.Direct.PerSecond:F0} {r.Direct.P50:F2}/{r.Direct.P99:F2} | {r.Gateway.PerSecond:F0} {r.Gateway.P50:F2}/{r.Gateway.P99:F2}"))}");
Directory.Delete(folder, recursive: true);

// `calls` calls from `concurrency` workers; latency per call by Stopwatch.
static async Task<Run> MeasureAsync(Func<Task<Item>> call, int calls, int concurrency)
{
    var latencies = new double[calls];
    var next = -1;
    var total = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        for (var i = Interlocked.Increment(ref next); i < calls; i = Interlocked.Increment(ref next))
        {
            var started = Stopwatch.GetTimestamp();
            await call();
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    }));
    total.Stop();
    Array.Sort(latencies);
    return new Run(calls / total.Elapsed.TotalSeconds, latencies[calls / 2], latencies[Math.Min(calls - 1, (int)(calls * 0.99))]);
}

/// <summary>One measured run: calls per second and latency percentiles in milliseconds.</summary>
internal sealed record Run(double PerSecond, double P50, double P99);
