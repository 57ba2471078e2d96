// Workflow engine benchmark: five-activity chained workflows per second through the stock Dapr.Workflow SDK
// and the sidecar's TaskHubSidecarService, with the Redis backend and the in-memory backend in the same run,
// plus Redis commands per activity (INFO commandstats before and after).
// Run: dotnet run -c Release --project bench/Mesh.Workflow.Bench [-- workflows]
using System.Diagnostics;
using System.Globalization;
using Dapr.Workflow;
using Mesh.Runtime.Components;
using Mesh.Runtime.Hosting;
using Mesh.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

var workflows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
await using var redis = await RedisServer.StartAsync(appendOnly: true);

var memory = await RunAsync("in-memory", [], workflows);
var actorStore = new ComponentDefinition("statestore", "state.redis", "v1",
    new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["redisHost"] = redis.ConnectionString, ["actorStateStore"] = "true" }, [], "statestore.yaml");
await using var stats = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
var before = Commands(stats);
var durable = await RunAsync("redis (appendonly)", [actorStore], workflows);
var commands = Commands(stats) - before;

Console.WriteLine($"Five-activity chains, {workflows} scheduled at once, stock Dapr.Workflow 1.19 SDK:");
Console.WriteLine($"  in-memory backend   {memory,8:F1} workflows/s");
Console.WriteLine($"  redis backend       {durable,8:F1} workflows/s  ({durable / memory:P0} of in-memory)");
Console.WriteLine($"  redis commands      {commands / (workflows * 5.0),8:F2} per activity ({commands} in all, MULTI/EXEC counted)");

static long Commands(ConnectionMultiplexer redis)
{
    var server = redis.GetServer(redis.GetEndPoints()[0]);
    return server.Info("commandstats").SelectMany(g => g)
        .Where(kv => !kv.Key.Contains("info", StringComparison.OrdinalIgnoreCase))
        .Sum(kv => long.Parse(kv.Value.Split(',')[0].Split('=')[1], CultureInfo.InvariantCulture));
}

static async Task<double> RunAsync(string label, IReadOnlyList<ComponentDefinition> components, int count)
{
    await using var mesh = await MeshHost.StartAsync([MeshApp.Create("bench", 0, "grpc", components)]);
    var sidecar = mesh.SidecarOf("bench");
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.Configuration["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{sidecar.GrpcPort}";
    builder.Services.AddDaprWorkflowBuilder(
        options =>
        {
            options.RegisterWorkflow<Chain>();
            options.RegisterActivity<Step>();
        },
        (_, client) => client.UseGrpcEndpoint($"http://127.0.0.1:{sidecar.GrpcPort}"));
    using var app = builder.Build();
    await app.StartAsync();
    var client = app.Services.GetRequiredService<DaprWorkflowClient>();

    // Warm-up: one chain, so JIT and connections are not measured.
    await client.WaitForWorkflowCompletionAsync(await client.ScheduleNewWorkflowAsync(nameof(Chain), input: 0));

    var watch = Stopwatch.StartNew();
    var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(i => client.ScheduleNewWorkflowAsync(nameof(Chain), input: i)));
    var states = await Task.WhenAll(ids.Select(id => client.WaitForWorkflowCompletionAsync(id)));
    var rate = count / watch.Elapsed.TotalSeconds;
    var wrong = states.Count(s => s.RuntimeStatus != WorkflowRuntimeStatus.Completed);
    Console.WriteLine($"  {label}: {count} chains in {watch.Elapsed.TotalSeconds:F2}s, {wrong} not completed");
    await app.StopAsync();
    return rate;
}

/// <summary>Five activities in a chain.</summary>
internal sealed class Chain : Workflow<int, int>
{
    public override async Task<int> RunAsync(WorkflowContext context, int input)
    {
        var value = input;
        for (var i = 0; i < 5; i++)
        {
            value = await context.CallActivityAsync<int>(nameof(Step), value);
        }

        return value;
    }
}

/// <summary>The activity: no work, so the engine and the protocol are what is measured.</summary>
internal sealed class Step : WorkflowActivity<int, int>
{
    public override Task<int> RunAsync(WorkflowActivityContext context, int input) => Task.FromResult(input + 1);
}
