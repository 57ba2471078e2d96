using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.ProcureToPay.Tests;

/// <summary>
/// ListStalledCases and GetFlow, on the mesh where a case waiting eight hours for its approver is stalled: the workflows
/// app's fake clock is moved past it, never waited for.
/// </summary>
public sealed class StalledCasesTests(StalledMesh mesh) : IClassFixture<StalledMesh>
{
    [Fact]
    public async Task ListStalledCases_RequisitionsAwaitingApproval_ListedOnlyPastStalledAfterPageByPageLongestStalledFirst()
    {
        var first = await mesh.SubmitAsync(("items/gauze-4x4", 2));
        await mesh.RoutedToAsync(first, "employees/ward-manager");
        mesh.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await mesh.SubmitAsync(("items/gauze-4x4", 3));
        await mesh.RoutedToAsync(second, "employees/ward-manager");
        var expected = new[] { first, second }.Select(r => $"flows/procure-to-pay/cases/{r.Name["requisitions/".Length..]}").ToList();

        // The first has waited just short of the stalled-after time, the second a minute less.
        mesh.Clock.Advance(mesh.StalledAfter - TimeSpan.FromMinutes(1) - TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(await AllPagesAsync(), s => expected.Contains(s.Name));

        mesh.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([expected[0]], (await AllPagesAsync()).Select(s => s.Name).Where(expected.Contains));

        mesh.Clock.Advance(TimeSpan.FromMinutes(1));
        var listed = await AllPagesAsync();
        var ours = listed.Where(s => expected.Contains(s.Name)).ToList();
        Assert.Equal(expected, ours.Select(s => s.Name));
        Assert.All(ours, s => Assert.Equal("RouteRequisition", s.Step));
        Assert.Equal(TimeSpan.FromMinutes(1), ours[1].Since.ToDateTimeOffset() - ours[0].Since.ToDateTimeOffset());
        Assert.Equal(listed.OrderBy(s => s.Since.ToDateTimeOffset()).Select(s => s.Name), listed.Select(s => s.Name));
        Assert.Equal(listed.Count, listed.Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public async Task GetFlow_EachFlow_SaysWhenStalledAndItsDeadLetterTopics()
    {
        var procureToPay = await mesh.Cases.GetFlowAsync(new GetFlowRequest { Name = "flows/procure-to-pay" });
        var inventoryToCharge = await mesh.Cases.GetFlowAsync(new GetFlowRequest { Name = "flows/inventory-to-charge" });

        Assert.Equal(("flows/procure-to-pay", Duration.FromTimeSpan(TimeSpan.FromHours(8))), (procureToPay.Name, procureToPay.StalledAfter));
        Assert.Empty(procureToPay.DeadLetterTopics);
        Assert.Single(inventoryToCharge.DeadLetterTopics, t => t.EndsWith(".deadletter", StringComparison.Ordinal));
    }

    // Every page of one case each, following the tokens.
    private async Task<List<StalledCase>> AllPagesAsync()
    {
        var all = new List<StalledCase>();
        var token = "";
        do
        {
            var page = await mesh.Cases.ListStalledCasesAsync(new ListStalledCasesRequest { Parent = "flows/procure-to-pay", PageSize = 1, PageToken = token });
            Assert.True(page.StalledCases.Count <= 1);
            all.AddRange(page.StalledCases);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }
}
