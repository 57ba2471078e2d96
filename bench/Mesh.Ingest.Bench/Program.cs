// Ingest benchmark: HL7 v2 messages per second over MLLP, accepted (stored raw, ledger, mapped with master data
// lookups, ItemConsumed published) against a bare MLLP listener in the same process that only frames, parses MSH
// and answers AA; FHIR ChargeItems per second (parse, validate against the base R4 profile, map, publish); CSV
// catalog rows per second (new items created, then the same file again: every row matched and unchanged).
// Everything runs on this machine: one redis-server, a sidecar per app, master data and the ingest app in process.
// Run: dotnet run -c Release --project bench/Mesh.Ingest.Bench [-- messages [connections [fhir [csvRows]]]]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Ingest;
using Mesh.Ingest.Hl7v2;
using Mesh.Ingest.Mllp;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Task = System.Threading.Tasks.Task;

// Sidecars, Redis clients and apps share this process: a thread pool grown up front keeps its hill-climbing
// ramp-up (a few threads a second on two cores) out of the rounds, which it otherwise made rise run after run.
ThreadPool.SetMinThreads(64, 64);
var messages = Arg(0, 2000);
var connections = Arg(1, 8);
var fhirCount = Arg(2, 400);
var csvRows = Arg(3, 400);

await using var mesh = await TestMesh.StartAsync(
    InventoryToChargeApps.MasterData(),
    EdgeApps.Ingest(new Dictionary<string, string?> { ["Ingest:Mllp:Port"] = "0", ["Logging:LogLevel:Default"] = "Warning" }),
    TestApp.Client("clinic"));
using var clients = new MeshClients(mesh.GrpcEndpointOf("clinic"), mesh.HttpEndpointOf("clinic"));
var run = $"b{Guid.NewGuid():N}"[..8];
var (department, codes) = await SeedAsync(clients, run);
var ingestPort = (await mesh.ServicesOf("ingest").GetRequiredService<MllpListener>().EndpointAsync).Port;

// The baseline: the same listener class with a handler that only parses the header and answers AA.
var bare = new MllpListener(new BareAck(), Options.Create(new IngestOptions { Mllp = new MllpOptions { Port = 0 } }), TimeProvider.System, NullLogger<MllpListener>.Instance);
await bare.StartAsync(CancellationToken.None);
var barePort = (await bare.EndpointAsync).Port;

// Warm-up of both paths (JIT, connections, lookup caches; the ingest path measured at half its later rate for
// its first few thousand messages), then five interleaved rounds, best of each.
await MllpRateAsync(barePort, 10 * messages, "warm-bare");
await MllpRateAsync(ingestPort, 4 * messages, "warm-ingest");
var bareRates = new List<double>();
var ingestRates = new List<double>();
for (var round = 1; round <= 5; round++)
{
    // The bare listener is so fast that it gets ten times the messages, for rounds long enough to time.
    bareRates.Add(await MllpRateAsync(barePort, 10 * messages, $"bare{round}"));
    ingestRates.Add(await MllpRateAsync(ingestPort, messages, $"ingest{round}"));
}

using var http = new HttpClient { BaseAddress = mesh.AddressOf("ingest"), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
await FhirRateAsync(50, "warm");
var fhirRate = await FhirRateAsync(fhirCount, "fhir");
var (created, unchanged) = await CsvRatesAsync(csvRows);
await bare.StopAsync(CancellationToken.None);

Console.WriteLine($"Ingest, {messages} DFT^P03 messages (one FT1 line each) per round ({10 * messages} for the bare listener) over {connections} MLLP connections, {Environment.ProcessorCount} cores:");
Console.WriteLine($"  bare MLLP listener (frame, parse MSH, AA)     best {bareRates.Max(),8:F0} msg/s   rounds {string.Join(" / ", bareRates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))}");
Console.WriteLine($"  ingest (store raw, ledger, map, publish, AA)  best {ingestRates.Max(),8:F0} msg/s   rounds {string.Join(" / ", ingestRates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))}");
Console.WriteLine($"  ratio ingest / bare                           {ingestRates.Max() / bareRates.Max(),8:P1}");
Console.WriteLine($"  FHIR ChargeItem POSTs (validate, map, publish) {fhirRate,7:F0} resources/s ({fhirCount}, {connections} at once)");
Console.WriteLine($"  CSV catalog rows, new items created           {created,8:F0} rows/s ({csvRows} rows)");
Console.WriteLine($"  CSV catalog rows, same file again (unchanged) {unchanged,8:F0} rows/s");
return;

async Task<double> MllpRateAsync(int port, int count, string tag)
{
    var perConnection = count / connections;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, connections).Select(async c =>
    {
        await using var client = await MllpClient.ConnectAsync("127.0.0.1", port, CancellationToken.None);
        for (var i = 0; i < perConnection; i++)
        {
            var ack = await client.SendAsync(Dft($"{run}-{tag}-{c}-{i}", department, codes[i % codes.Count], $"V{c}{i % 50}"), CancellationToken.None);
            if (!ack.Contains("MSA|AA", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"not accepted: {ack}");
            }
        }
    }));
    return perConnection * connections / clock.Elapsed.TotalSeconds;
}

async Task<double> FhirRateAsync(int count, string tag)
{
    var serializer = new FhirJsonSerializer();
    var next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
    {
        while (Interlocked.Increment(ref next) is var i && i < count)
        {
            var charge = new ChargeItem
            {
                Identifier = [new Identifier("urn:bench", $"{run}-{tag}-{i}")],
                Status = ChargeItem.ChargeItemStatus.Billable,
                Code = new CodeableConcept("urn:cdm", codes[i % codes.Count]),
                Subject = new ResourceReference { Identifier = new Identifier("urn:mrn", $"MRN{i % 100}") },
                Context = new ResourceReference { Identifier = new Identifier("urn:visits", $"V{i % 100}") },
                Occurrence = new FhirDateTime("2026-12-06T09:30:00+00:00"),
                PerformingOrganization = new ResourceReference { Identifier = new Identifier("urn:departments", department) },
                Quantity = new Hl7.Fhir.Model.Quantity { Value = 1 },
            };
            using var content = new StringContent(serializer.SerializeToString(charge), Encoding.UTF8, "application/fhir+json");
            using var response = await http.PostAsync("fhir/ChargeItem", content);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
    }));
    return count / clock.Elapsed.TotalSeconds;
}

async Task<(double Created, double Unchanged)> CsvRatesAsync(int rows)
{
    var csv = new StringBuilder("description,manufacturer,manufacturer_part_number,stocking_unit,category,chargeable,standard_cost,currency\r\n");
    for (var i = 0; i < rows; i++)
    {
        csv.Append(CultureInfo.InvariantCulture, $"Bench item {i},Mesh Bench Medical,{run}-CSV-{i},EA,floor-stock,N,1.{i % 100:D2},USD\r\n");
    }

    var body = Encoding.UTF8.GetBytes(csv.ToString());
    async Task<double> UploadAsync(string expected)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.PostAsync("catalog/items", new ByteArrayContent(body));
        var result = await response.Content.ReadAsStringAsync();
        var elapsed = clock.Elapsed.TotalSeconds;
        var matching = result.Split('\n').Count(l => l.Contains($",{expected},", StringComparison.Ordinal));
        return matching == rows ? rows / elapsed : throw new InvalidOperationException($"expected {rows} rows {expected}, got {matching}:\n{result[..Math.Min(result.Length, 2000)]}");
    }

    return (await UploadAsync("accepted"), await UploadAsync("unchanged"));
}

static string Dft(string control, string department, string code, string visit)
{
    var ft1 = new string[24];
    (ft1[0], ft1[1], ft1[4], ft1[6], ft1[7], ft1[10], ft1[13]) = ("FT1", "1", "20261206093000", "CG", $"{code}^Supply^CDM", "1", department);
    return $"MSH|^~\\&|PERIOP|MAIN|MESH|HUB|20261206101500||DFT^P03^DFT_P03|{control}|P|2.5.1\rEVN|P03|20261206101500\r" +
        $"PID|1||MRN{visit}^^^HOSP^MR||DOE^JANE\rPV1|1|I|OR1^^^MAIN||||||||||||||||{visit}\r{string.Join('|', ft1.Select(f => f ?? ""))}\r";
}

static async Task<(string Department, List<string> Codes)> SeedAsync(MeshClients clients, string run)
{
    var costCenter = await clients.CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest
    {
        CostCenterId = $"{run}-cc", CostCenter = new CostCenter { Code = $"{run}-7100", DisplayName = "Bench OR", CompanyCode = "1000" },
    });
    var department = $"OR-{run}";
    await clients.Locations.CreateLocationAsync(new CreateLocationRequest
    {
        LocationId = $"{run}-or",
        Location = new Mesh.Contracts.MasterData.V1.Location
        {
            DisplayName = "Bench OR", Type = LocationType.OperatingRoom, Facility = "main", CostCenter = costCenter.Name,
            ExternalIds = { new ExternalId { System = "department", Value = department } },
        },
    });
    var codes = new List<string>();
    for (var i = 0; i < 6; i++)
    {
        var item = Supply.Storeroom[i].ToItem($"MPN-{run}-{i}");
        item.ChargeCode = $"{run}-CDM{i}";
        await clients.Items.CreateItemAsync(new CreateItemRequest { ItemId = $"{run}-item-{i}", Item = item });
        codes.Add(item.ChargeCode);
    }

    return (department, codes);
}

int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

// Frames and acknowledges: the least an MLLP endpoint can do.
sealed class BareAck : IMllpHandler
{
    public Task<byte[]> HandleAsync(MllpFrame frame, string peer, CancellationToken ct)
    {
        var (message, _) = Hl7Parser.Parse(frame.Content);
        return Task.FromResult(Encoding.UTF8.GetBytes(Hl7Ack.Build(message, AckCode.Accept, null, message?.ControlId ?? "", TimeProvider.System.GetUtcNow())));
    }
}
