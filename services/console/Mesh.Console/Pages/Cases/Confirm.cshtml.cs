using Grpc.Core;
using Mesh.Console.Cases;
using Mesh.Contracts.Workflows.V1;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages.Cases;

/// <summary>
/// Asks the operator to confirm an action on a case, then performs it. The request id is minted with the confirmation
/// form, so submitting it twice is one request to the workflows app. Releasing a hold also asks why, and which of the
/// case's held invoices when it holds several.
/// </summary>
public sealed class ConfirmModel(CaseActions actions, CaseService.CaseServiceClient cases, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The flow id.</summary>
    [FromRoute]
    public string Flow { get; set; } = "";

    /// <summary>The case id.</summary>
    [FromRoute]
    public string CaseId { get; set; } = "";

    /// <summary>The action, "replay", "dismiss" or "release-hold".</summary>
    [FromRoute]
    public string Action { get; set; } = "";

    /// <summary>The request id of the action.</summary>
    [BindProperty]
    public string RequestId { get; set; } = "";

    /// <summary>Why the hold is released (release-hold only).</summary>
    [BindProperty]
    public string Comment { get; set; } = "";

    /// <summary>The held invoice to release (release-hold only); empty for the only one.</summary>
    [BindProperty]
    public string SupplierInvoice { get; set; } = "";

    /// <summary>The invoices the case holds, for release-hold.</summary>
    public IReadOnlyList<string> HeldInvoices { get; private set; } = [];

    /// <summary>Why the workflows app refused the action.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The case name.</summary>
    public string CaseName => $"flows/{Flow}/cases/{CaseId}";

    /// <summary>Shows the confirmation.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!Knows(Flow) || CaseActions.Named(Action) is not { } action)
        {
            return NotFound();
        }

        RequestId = Guid.NewGuid().ToString();
        if (action == CaseAction.ReleaseHold)
        {
            await ReadHoldsAsync(ct);
        }

        return Page();
    }

    /// <summary>Performs the confirmed action and goes back to the case.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!Knows(Flow) || CaseActions.Named(Action) is not { } action || !Guid.TryParse(RequestId, out _))
        {
            return NotFound();
        }

        var release = action == CaseAction.ReleaseHold ? new HoldRelease(Comment.Trim(), SupplierInvoice) : null;
        Refusal = await actions.PerformAsync(action, CaseName, RequestId, Operator, await HttpContext.GetTokenAsync("access_token"), release, ct);
        if (Refusal is null)
        {
            return Redirect($"/flows/{Flow}/cases/{CaseId}?done={Action}");
        }

        if (action == CaseAction.ReleaseHold)
        {
            await ReadHoldsAsync(ct);
        }

        return Page();
    }

    private async Task ReadHoldsAsync(CancellationToken ct)
    {
        try
        {
            var held = await cases.GetCaseAsync(new GetCaseRequest { Name = CaseName }, cancellationToken: ct);
            HeldInvoices = held.ProcureToPay?.HeldSupplierInvoices.ToList() ?? [];
        }
        catch (RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.InvalidArgument)
        {
            // The confirmation still shows; the workflows app refuses the action with the reason.
        }
    }
}
