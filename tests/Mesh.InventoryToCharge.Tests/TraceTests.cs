using Mesh.Runtime.Telemetry;
using Mesh.Scenarios;
using Mesh.Testing.Otlp;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>One consumption event is one trace across the real processes of every app on its path.</summary>
public sealed class TraceTests(TracedMesh mesh) : IClassFixture<TracedMesh>
{
    [Fact]
    public async Task OneConsumptionEvent_ThroughTheMesh_IsOneTraceCoveringEveryAppOnItsPath()
    {
        var spec = new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var consumed = InventoryToChargeScenario.Consumptions(catalog, spec).Single();
        // A billable supply, so the saga also captures a charge.
        consumed.Item = catalog.Items.First(i => i.Chargeable).Name;

        await mesh.Scenario.SendAsync([consumed], spec, 1, CancellationToken.None);
        var settled = await mesh.Scenario.AwaitSettledAsync([consumed.Context.EventId], TimeSpan.FromSeconds(60), null, CancellationToken.None);
        Assert.Equal(Mesh.Contracts.Workflows.V1.CaseState.Completed, Assert.Single(settled).State);

        // The publisher's sidecar put its trace context on the CloudEvent, as daprd does.
        var envelope = (await mesh.PublishedAsync("inventory.item.consumed")).Single(e => (string?)e["id"] == consumed.Context.EventId);
        var traceParent = (string)envelope["traceparent"]!;
        var traceId = traceParent.Split('-')[1];
        string[] path = ["workflows", "masterdata", "inventory", "charges", "finance", "erp"];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<ReceivedSpan> trace;
        do
        {
            await Task.Delay(100);
            trace = [.. mesh.Collector.Spans.Where(s => s.TraceId == traceId)];
        }
        while (DateTime.UtcNow < deadline && !path.All(app => trace.Any(s => s.Service == app)));

        var seen = string.Join('\n', trace.Select(s => $"{s.Service} {s.Name} {s.Attributes.GetValueOrDefault("dapr.app_id")}"));
        Assert.All(path, app => Assert.True(trace.Any(s => s.Service == app), $"no span of {app} in trace {traceId}:\n{seen}"));
        // The sidecars' own work is in it: the clinic's publish, the delivery to workflows, the invocations and state.
        Assert.Contains(trace, s => s.Service == RuntimeTelemetry.ServiceName && s.Name == "inventory.item.consumed publish" && s.Attributes.GetValueOrDefault("dapr.app_id") == "clinic");
        Assert.Contains(trace, s => s.Service == RuntimeTelemetry.ServiceName && s.Name == "inventory.item.consumed deliver" && s.Attributes.GetValueOrDefault("dapr.app_id") == "workflows");
        Assert.Contains(trace, s => s.Service == RuntimeTelemetry.ServiceName && s.Name.StartsWith("CallLocal/finance/", StringComparison.Ordinal));
        Assert.Contains(trace, s => s.Service == RuntimeTelemetry.ServiceName && s.Name.StartsWith("CallLocal/erp/", StringComparison.Ordinal));
        // One event, one trace: no span of the path hangs off a parent outside it.
        var ids = trace.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var orphans = trace.Where(s => !ids.Contains(s.ParentSpanId)).ToList();
        Assert.True(orphans.Count == 1, "spans whose parent was not exported:\n" + string.Join('\n', orphans.Select(s => $"{s.Service} {s.Name} parent {s.ParentSpanId}")));
    }
}
