using Grpc.Core;
using Mesh.Contracts.Workflows.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages;

/// <summary>Finds a case by the id of the event that started it, in every flow.</summary>
public sealed class SearchModel(CaseService.CaseServiceClient cases, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>What was searched for.</summary>
    [FromQuery(Name = "q")]
    public string Query { get; set; } = "";

    /// <summary>Goes to the case when one flow has it; else says none has.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var id = Query.Trim();
        foreach (var flow in Flows)
        {
            try
            {
                await cases.GetCaseAsync(new GetCaseRequest { Name = $"flows/{flow}/cases/{id}" }, cancellationToken: ct);
                return Redirect($"/flows/{flow}/cases/{Uri.EscapeDataString(id)}");
            }
            catch (RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.InvalidArgument)
            {
                // Not a case of this flow (or not a case id at all).
            }
        }

        return Page();
    }
}
