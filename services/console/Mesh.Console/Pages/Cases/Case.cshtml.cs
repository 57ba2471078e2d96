using Grpc.Core;
using Mesh.Console.Cases;
using Mesh.Contracts.Workflows.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages.Cases;

/// <summary>One case: its state, why it is not completed, its steps, what it is about, and the actions it allows.</summary>
public sealed class CaseModel(CaseService.CaseServiceClient cases, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The flow id.</summary>
    [FromRoute]
    public string Flow { get; set; } = "";

    /// <summary>The case id.</summary>
    [FromRoute]
    public string CaseId { get; set; } = "";

    /// <summary>The action just done, to confirm it on the page.</summary>
    [FromQuery]
    public string? Done { get; set; }

    /// <summary>The case, projected for the operator.</summary>
    public CaseView View { get; private set; } = null!;

    /// <summary>Reads the case; 404 when the workflows app has none.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!Knows(Flow))
        {
            return NotFound();
        }

        try
        {
            View = CaseView.For(await cases.GetCaseAsync(new GetCaseRequest { Name = $"flows/{Flow}/cases/{CaseId}" }, cancellationToken: ct), Operator.Withheld);
            return Page();
        }
        catch (RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.InvalidArgument)
        {
            return NotFound();
        }
    }
}
