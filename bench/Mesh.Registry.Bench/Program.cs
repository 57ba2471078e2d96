// Registry benchmarks, each a ratio against a baseline measured in the same run:
//  1. GetSchema (lookup by id) requests/s vs a bare Kestrel gRPC endpoint returning the same blob.
//  2. CreateSchemaVersion (lint + buf breaking + Redis append) latency vs `buf breaking` alone on the same images.
// Run: dotnet run -c Release --project bench/Mesh.Registry.Bench [-- seconds concurrency]
extern alias registry;

using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.Registry.V1;
using Mesh.Registry;
using Mesh.Registry.Compatibility;
using Mesh.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

var seconds = args.Length > 0 ? int.Parse(args[0]) : 5;
var concurrency = args.Length > 1 ? int.Parse(args[1]) : 32;
const string token = "bench-architect";
var auth = new Metadata { { "authorization", $"Bearer {token}" } };

await using var redis = await RedisServer.StartAsync();
// The registry through its own Program, as it runs in production; only its storage and tokens are the bench's.
var registryApp = await InProcessApp<registry::Program>.StartAsync(0, new Dictionary<string, string?>
{
    ["ConnectionStrings:registry"] = redis.ConnectionString,
    ["Registry:Auth:Tokens:0:Token"] = token,
    ["Registry:Auth:Tokens:0:Principal"] = "bench",
    ["Registry:Auth:Tokens:0:Roles:0"] = "architect",
    ["Registry:Defaults:LintExcept:0"] = "RPC_RESPONSE_STANDARD_NAME",
    ["Registry:Defaults:LintExcept:1"] = "RPC_REQUEST_RESPONSE_UNIQUE",
    // Every app needs its APP_API_TOKEN outside Development; the registry's API does not ask for it.
    ["APP_API_TOKEN"] = "bench-app-token",
});
var registryUri = registryApp.Address;

using var registryChannel = GrpcChannel.ForAddress(registryUri);
var registry = new RegistryService.RegistryServiceClient(registryChannel);
var inventory = InventoryDescriptorSet(extraMessages: 0);
var registered = await registry.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = "subjects/mesh.inventory.v1", FileDescriptorSet = inventory, OwnerTeam = "supply-chain" }, auth);

var blob = new SchemaVersion { SchemaId = registered.SchemaId, Fingerprint = registered.Fingerprint, FileDescriptorSet = registered.FileDescriptorSet };
var (bareApp, bareUri) = await StartAsync(builder => builder.Services.AddGrpc(), app => app.MapGrpcService<FixedBlobRegistry>());
FixedBlobRegistry.Blob = blob;
using var bareChannel = GrpcChannel.ForAddress(bareUri);
var bare = new RegistryService.RegistryServiceClient(bareChannel);

Console.WriteLine($"GetSchema: {concurrency} concurrent callers, {seconds}s each, response {blob.CalculateSize()} bytes");
var request = new GetSchemaRequest { SchemaId = registered.SchemaId };
await LoadAsync(bare, request, new Metadata(), 1);      // warm-up
await LoadAsync(registry, request, auth, 1);
// Interleaved rounds, best of each, so thread-pool growth and JIT favour neither side.
double bareRate = 0, registryRate = 0;
for (var round = 0; round < 3; round++)
{
    bareRate = Math.Max(bareRate, await LoadAsync(bare, request, new Metadata(), seconds));
    registryRate = Math.Max(registryRate, await LoadAsync(registry, request, auth, seconds));
}

Console.WriteLine($"  bare Kestrel gRPC blob : {bareRate,10:F0} req/s");
Console.WriteLine($"  registry GetSchema     : {registryRate,10:F0} req/s  ({registryRate / bareRate:P0} of bare)");

const int rounds = 20;
var buf = new BufCli(Options.Create(new RegistryOptions()), NullLogger<BufCli>.Instance);
var register = new List<double>();
var breakingAlone = new List<double>();
var previous = inventory;
var ownFiles = FileDescriptorSet.Parser.ParseFrom(inventory).File.Where(f => f.Package == "mesh.inventory.v1").Select(f => f.Name).ToList();
for (var i = 1; i <= rounds; i++)
{
    var next = InventoryDescriptorSet(extraMessages: i);
    var watch = Stopwatch.StartNew();
    await buf.BreakingAsync(next, previous, "FILE", ownFiles, CancellationToken.None);
    breakingAlone.Add(watch.Elapsed.TotalMilliseconds);
    watch.Restart();
    await registry.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = "subjects/mesh.inventory.v1", FileDescriptorSet = next }, auth);
    register.Add(watch.Elapsed.TotalMilliseconds);
    previous = next;
}

Console.WriteLine($"Register with check (lint + breaking + append), {rounds} versions of mesh.inventory.v1:");
Console.WriteLine($"  buf breaking alone : p50 {P(breakingAlone, 50),7:F1} ms  p95 {P(breakingAlone, 95),7:F1} ms");
Console.WriteLine($"  CreateSchemaVersion: p50 {P(register, 50),7:F1} ms  p95 {P(register, 95),7:F1} ms  ({P(register, 50) / P(breakingAlone, 50):F2}x buf alone)");

await registryApp.DisposeAsync();
await bareApp.DisposeAsync();

static double P(List<double> values, int percentile) => values.Order().ElementAt(Math.Min(values.Count - 1, values.Count * percentile / 100));

async Task<double> LoadAsync(RegistryService.RegistryServiceClient client, GetSchemaRequest request, Metadata headers, int duration)
{
    var clock = Stopwatch.StartNew();
    var counts = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        long n = 0;
        while (clock.Elapsed.TotalSeconds < duration)
        {
            await client.GetSchemaAsync(request, headers);
            n++;
        }

        return n;
    }));
    return counts.Sum() / (double)duration;
}

static ByteString InventoryDescriptorSet(int extraMessages)
{
    // The compiled mesh.inventory.v1 contracts plus their imports; extra messages make each version new and compatible.
    var files = new List<FileDescriptorProto>();
    var seen = new HashSet<string>();
    void Add(FileDescriptor file)
    {
        if (!seen.Add(file.Name))
        {
            return;
        }

        foreach (var dependency in file.Dependencies)
        {
            Add(dependency);
        }

        files.Add(FileDescriptorProto.Parser.ParseFrom(file.SerializedData));
    }

    foreach (var file in Mesh.Contracts.Classification.ContractCatalog.Files.Where(f => f.Package == "mesh.inventory.v1"))
    {
        Add(file);
    }

    var events = files.Single(f => f.Name == "mesh/inventory/v1/stock_movement.proto");
    for (var i = 1; i <= extraMessages; i++)
    {
        events.MessageType.Add(new DescriptorProto { Name = $"BenchNote{i}", Field = { new FieldDescriptorProto { Name = "text", Number = 1, Type = FieldDescriptorProto.Types.Type.String, Label = FieldDescriptorProto.Types.Label.Optional, JsonName = "text" } } });
    }

    var set = new FileDescriptorSet();
    set.File.AddRange(files);
    return set.ToByteString();
}

static async Task<(WebApplication App, Uri Address)> StartAsync(Action<WebApplicationBuilder> configure, Action<WebApplication> map)
{
    var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http2);
    configure(builder);
    var app = builder.Build();
    map(app);
    await app.StartAsync();
    return (app, LoopbackApp.AddressOf(app));
}

/// <summary>The baseline: the same RPC and response bytes, served from memory with no auth or storage.</summary>
internal sealed class FixedBlobRegistry : RegistryService.RegistryServiceBase
{
    public static SchemaVersion Blob { get; set; } = new();

    public override Task<SchemaVersion> GetSchema(GetSchemaRequest request, ServerCallContext context) => Task.FromResult(Blob);
}
