using Mesh.Contracts.Workflows.V1;

namespace Mesh.Console.Flows;

/// <summary>Reads a flow's concluded cases from the workflows app (ListCases, a thousand a page).</summary>
public sealed class FlowReader(CaseService.CaseServiceClient cases)
{
    /// <summary>Every case <paramref name="flow"/> concluded.</summary>
    public async Task<List<Case>> CasesAsync(string flow, CancellationToken ct)
    {
        var (concluded, _) = await Mesh.Contracts.Pages.AllAsync<Case>(async token =>
        {
            var page = await cases.ListCasesAsync(new ListCasesRequest { Parent = $"flows/{flow}", PageSize = 1000, PageToken = token }, cancellationToken: ct);
            return (page.Cases, page.NextPageToken);
        });
        return concluded;
    }
}
