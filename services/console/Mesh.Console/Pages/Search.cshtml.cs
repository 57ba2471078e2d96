using Grpc.Core;
using Mesh.Contracts.Workflows.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages;

/// <summary>
/// Finds a case in every flow: by the id of the event that started it, or by a document it owns given as a resource
/// name, e.g. "requisitions/r1", "purchaseOrders/r1-1" or "supplierInvoices/i1" (the workflows app's LookupCase).
/// </summary>
public sealed class SearchModel(CaseService.CaseServiceClient cases, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>What was searched for.</summary>
    [FromQuery(Name = "q")]
    public string Query { get; set; } = "";

    /// <summary>True when the query is a document's resource name rather than an event id.</summary>
    public bool ByDocument => Query.Contains('/', StringComparison.Ordinal);

    /// <summary>Goes to the case when one flow has it; else says none has.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Query = Query.Trim();
        foreach (var flow in Flows)
        {
            try
            {
                var found = ByDocument
                    ? await cases.LookupCaseAsync(new LookupCaseRequest { Parent = $"flows/{flow}", Document = Query }, cancellationToken: ct)
                    : await cases.GetCaseAsync(new GetCaseRequest { Name = $"flows/{flow}/cases/{Query}" }, cancellationToken: ct);
                return Redirect($"/flows/{flow}/cases/{Uri.EscapeDataString(found.Name[(found.Name.LastIndexOf('/') + 1)..])}");
            }
            catch (RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.InvalidArgument)
            {
                // Not a case of this flow (or not a case id or document name at all).
            }
        }

        return Page();
    }
}
