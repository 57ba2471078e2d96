// A workflow app for the crash test: run as a child process against a sidecar, killed with SIGKILL
// mid-saga and started again. Activities append "start"/"done" lines to LOG_FILE; the Gate activity
// waits until GATE_FILE exists, so the test can kill the app while it is inside an activity.
using Dapr.Workflow;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var endpoint = Environment.GetEnvironmentVariable("DAPR_GRPC_ENDPOINT") ?? throw new InvalidOperationException("DAPR_GRPC_ENDPOINT is not set");
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddDaprWorkflowBuilder(
    options =>
    {
        options.RegisterWorkflow<CrashSaga>();
        options.RegisterActivity<Record>();
        options.RegisterActivity<Gate>();
    },
    (_, client) => client.UseGrpcEndpoint(endpoint));
await builder.Build().RunAsync();

/// <summary>Three steps; the middle one waits at the gate.</summary>
internal sealed class CrashSaga : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var first = await context.CallActivityAsync<string>(nameof(Record), $"{input}-reserve");
        var second = await context.CallActivityAsync<string>(nameof(Gate), $"{input}-charge");
        var third = await context.CallActivityAsync<string>(nameof(Record), $"{input}-post");
        return $"{first}|{second}|{third}";
    }
}

internal sealed class Record : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        ActivityJournal.Write("start", input);
        ActivityJournal.Write("done", input);
        return Task.FromResult(input);
    }
}

internal sealed class Gate : WorkflowActivity<string, string>
{
    public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        ActivityJournal.Write("start", input);
        var gate = Environment.GetEnvironmentVariable("GATE_FILE")!;
        while (!File.Exists(gate))
        {
            await Task.Delay(20);
        }

        ActivityJournal.Write("done", input);
        return input;
    }
}

internal static class ActivityJournal
{
    private static readonly object Gate = new();

    public static void Write(string what, string step)
    {
        lock (Gate)
        {
            File.AppendAllText(Environment.GetEnvironmentVariable("LOG_FILE")!, $"{what}:{step}{Environment.NewLine}");
        }
    }
}
